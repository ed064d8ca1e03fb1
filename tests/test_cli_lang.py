"""The command line's errors and messages follow ``--lang``: Chinese by default, English asked.

An error that ends a command is one line on stderr, ``错误：…`` (the place and the problems
:mod:`layers.messages` knows in Chinese) or ``error: …`` as raised, exit code 1, no traceback;
``peakmap sample`` and every ``peakmap site`` command take ``--lang`` like the others.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from typer.testing import CliRunner

from layers.project import Project
from peakmap import cmd_sample
from peakmap.cli import app
from sample import SampleResult
from sample.district import MAX_COPIES


def _run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


# command line (without the language) → what follows the prefix, zh then en
MISSING = "nowhere"


@pytest.mark.parametrize("command", [
    ["report", "{p}"],
    ["build", "{p}"],
    ["map", "{p}", "layers", "--out", "{p}.png"],
    ["site", "recycling", "{p}"],
    ["site", "pocket-parks", "{p}"],
    ["site", "export", "{p}", "--layer", "pocket_parks", "--out", "{p}.geojson"],
    ["site", "move", "{p}", "PR-RC-0001", "117.2,39.1"],
    ["site", "pv", "{p}"],
    ["site", "heating", "{p}"],
])
def test_an_error_in_the_chosen_language(tmp_path: Path, command: list[str]) -> None:
    where = tmp_path / MISSING
    args = [a.format(p=where) for a in command]
    code, out, err = _run(*args)  # Chinese by default
    assert code == 1 and out.strip() == ""  # (build's progress leaves a newline)
    assert err == f"错误：{where}：找不到项目目录\n"
    code, out, err = _run(*args, "--lang", "zh")
    assert (code, err) == (1, f"错误：{where}：找不到项目目录\n")
    code, out, err = _run(*args, "--lang", "en")
    assert (code, out.strip()) == (1, "")
    assert err == f"error: {where}: project directory not found\n"


def test_an_os_error_in_the_chosen_language(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: Project) -> None:
        raise OSError(errno.EIO, "Input/output error", "/srv/share/project.toml")

    monkeypatch.setattr(Project, "__post_init__", fail)
    monkeypatch.delenv("PEAKMAP_DEBUG", raising=False)
    assert _run("report", str(tmp_path)) == (
        1, "", "错误：/srv/share/project.toml: 输入/输出错误\n")
    assert _run("report", str(tmp_path), "--lang", "en") == (
        1, "", "error: /srv/share/project.toml: Input/output error\n")


def test_an_untranslated_problem_keeps_its_words_after_the_chinese_place(
        tmp_path: Path) -> None:
    # the output folder is missing: the place and the problem both have Chinese words
    from fixtures.tiny import TARGETS, make_project

    make_project(tmp_path / "p", targets=TARGETS)
    out = tmp_path / "no-such-folder" / "r.xlsx"
    base = ["report", str(tmp_path / "p"), "--format", "xlsx", "--out", str(out)]
    assert _run(*base)[::2] == (1, f"错误：{out}：文件夹 {out.parent} 不存在\n")
    assert _run(*base, "--lang", "en")[::2] == (
        1, f"error: {out}: the folder {out.parent} does not exist\n")


def test_sample_speaks_the_chosen_language(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(out: Path, **kw: object) -> SampleResult:
        return SampleResult(out=out)

    monkeypatch.setattr(cmd_sample, "generate_sample", fake)
    base = ["sample", "--out", str(tmp_path), "--scale", "30"]
    code, _, err = _run(*base)
    assert code == 0, err
    text = " ".join(err.split())
    # 30 copies × 16 CPU-s = 8 CPU-minutes; nothing written by the fake
    assert "注意：DSM 覆盖 30 个副本" in text and "约需 8 CPU 分钟" in text
    assert f"已写入 0 个文件（0.0 MB）到 {tmp_path}" in text and "CPU-minutes" not in text
    code, _, err = _run(*base, "--lang", "en")
    assert code == 0, err
    text = " ".join(err.split())
    assert "note: the DSM covers 30 copies" in text and "about 8 CPU-minutes" in text
    assert f"wrote 0 files (0.0 MB) to {tmp_path}" in text and "注意" not in text


def test_sample_error_in_the_chosen_language(tmp_path: Path) -> None:
    bad = MAX_COPIES + 1
    base = ["sample", "--out", str(tmp_path), "--scale", str(bad), "--no-dsm"]
    code, _, err = _run(*base)  # (the progress bar leaves a blank line)
    assert (code, err.strip()) == (1, f"错误：--scale {bad}：须在 1 与 {MAX_COPIES} 之间")
    code, _, err = _run(*base, "--lang", "en")
    assert (code, err.strip()) == (1, f"error: --scale {bad}: must be between 1 and {MAX_COPIES}")
    assert not (tmp_path / "raw").exists()


@pytest.mark.parametrize(("english", "chinese"), [
    ("role 'boss': not one of viewer, editor, admin",
     "角色 'boss'：须为 viewer, editor, admin 之一"),
    ("password for 王工: at least 8 characters", "王工 的密码：至少 8 个字符"),
    ("account name 'a b': use 1–64 letters, digits, Chinese, . _ -",
     "账户名 'a b'：须为 1–64 个字母、数字、汉字或 . _ -"),
    ("no account 'x' (accounts: ed, vera)", "没有账户 'x'（现有账户：ed, vera）"),
    ("/p/.peakmap/users.json: not a peakmap accounts file (bad JSON)",
     "/p/.peakmap/users.json：不是 peakmap 账户文件（bad JSON）"),
])
def test_account_refusals_in_chinese(english: str, chinese: str) -> None:
    from layers.messages import message_label

    assert message_label(english, "zh") == chinese
    assert message_label(english, "en") == english


def test_user_add_refusal_through_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "project.toml").write_text('[project]\nname = "t"\n', encoding="utf-8")
    code, _, err = _run("user", "add", str(tmp_path), "bo", "--role", "root",
                        "--password-stdin")
    assert (code, err) == (1, "错误：角色 'root'：须为 viewer, editor, admin 之一\n")
    code, _, err = _run("user", "add", str(tmp_path), "bo", "--role", "root",
                        "--password-stdin", "--lang", "en")
    assert (code, err) == (1, "error: role 'root': not one of viewer, editor, admin\n")
