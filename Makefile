# peakmap — every set-up step lives here, so a fresh clone needs only `make run` and `make test`.
# the interpreter the venv is made from: a Python 3.11 with its libpython linked in (Debian's
# /usr/bin/python3.11) before a shared-library build (pyenv's default); scripts/pick_python.sh
PYTHON ?= $(shell bash scripts/pick_python.sh)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PROJECT ?= data/heping
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run build report serve sample test test-fast lint check docs bench bench-docs bench-postgis bench-store clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "peakmap needs Python 3.11, found " + sys.version' \
		|| { echo "error: Python 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

install: $(STAMP)

build: install
	$(BIN)/peakmap build $(PROJECT)

report: build
	$(BIN)/peakmap report $(PROJECT)

run: report
	$(BIN)/peakmap serve $(PROJECT) --host $(HOST) --port $(PORT)

sample: install
	$(BIN)/peakmap sample --out $(PROJECT)

# every test: tests/ and the docstring examples of gis, layers, web, peakmap and sample (pyproject)
test: install
	bash scripts/ensure_system_deps.sh
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: install
	$(BIN)/ruff check gis layers web peakmap sample scripts tests
	$(BIN)/mypy

# what CI runs (.ci/run): lint, then every test and docstring example
check: lint test

# regenerate docs/indicators.md from the catalogs and the tables of docs/benchmarks.md from
# docs/bench/*.json (tests check both are current)
docs: install
	$(BIN)/python scripts/gen_indicator_docs.py
	$(BIN)/python scripts/gen_bench_docs.py

# the tables of docs/benchmarks.md from docs/bench/*.json; a fresh run (bench-output/NAME.json)
# is published with: python scripts/gen_bench_docs.py --take bench-output/NAME.json
bench-docs: install
	$(BIN)/python scripts/gen_bench_docs.py

# every scripts/bench_*.py; each also writes its tables to bench-output/<script>.json
bench: install
	$(BIN)/python scripts/bench_all.py

# peakmap vs PostGIS vs naive geopandas on HP-04, HP-18, STD-PARK-500 at K = 1, 10, 30
bench-postgis: install
	bash scripts/ensure_postgis.sh
	$(BIN)/python scripts/bench_postgis.py --scales 1 10 30 --runs 5

# the Heping sample built and reported with the GeoPackage store and with the PostGIS store
bench-store: install
	bash scripts/ensure_postgis.sh
	$(BIN)/python scripts/bench_store.py --repeat 3

clean:
	rm -rf $(VENV) $(PROJECT)/build test-output bench-output
