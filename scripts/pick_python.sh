#!/usr/bin/env bash
# Print the Python 3.11 interpreter `make install` builds the venv from.
#
# Candidates: python3.11 on PATH, then the distribution's /usr/bin/python3.11 and
# /usr/local/bin/python3.11, then python3. Kept: Python 3.11 with a working `venv` + `ensurepip`.
# Preferred among those: an interpreter whose libpython is linked into the executable (not
# loaded from libpython3.11.so). Debian's /usr/bin/python3.11 is such a build (and built with
# profile-guided optimisation); pyenv's default build loads a shared libpython compiled without
# optimisation flags and ran `peakmap report` about 1.2× slower here (docs/benchmarks.md,
# "Interpreter"). Override with `make install PYTHON=/path/to/python3.11`.
set -uo pipefail

# PICK_PYTHON_CANDIDATES (space-separated paths) replaces the list (tests/test_pick_python.py)
if [ -n "${PICK_PYTHON_CANDIDATES:-}" ]; then
    read -r -a listed <<< "$PICK_PYTHON_CANDIDATES"
else
    listed=("$(command -v python3.11 2>/dev/null)" /usr/bin/python3.11 /usr/local/bin/python3.11
            "$(command -v python3 2>/dev/null)")
fi
candidates=()
for c in "${listed[@]}"; do
    [ -n "$c" ] && [ -x "$c" ] && candidates+=("$c")
done

check='import sys, ensurepip, venv
assert sys.version_info[:2] == (3, 11)
with open("/proc/self/maps") as f:
    shared = any("libpython3" in line for line in f)
print("shared" if shared else "static")'

first=""
for c in "${candidates[@]}"; do
    kind=$("$c" -c "$check" 2>/dev/null) || continue
    [ -z "$first" ] && first="$c"
    if [ "$kind" = "static" ]; then
        echo "$c"
        exit 0
    fi
done
if [ -n "$first" ]; then
    echo "$first"
    exit 0
fi
# none usable: the first name found, so that make's version check names what it found
echo "${candidates[0]:-python3}"
