"""Responsible departments in both languages: one ``[departments]`` table, shown per language.

The annex writes its departments in Chinese (区发展改革委, 区城市管理委 …); English pages and
exports used to show them so. The English names live once, in
``layers/catalogs/departments.toml``; records carry them as ``responsible_en``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from fixtures.web import TestClient, record
from openpyxl import load_workbook
from rich.console import Console

from gis import PeakmapError
from layers.indicators.catalog import DEPARTMENT_KINDS, read_catalog
from layers.indicators.engine import compute_records
from layers.labels import responsible_departments, responsible_label
from layers.report import records_to_table, write_xlsx

CATALOGS = Path(__file__).resolve().parent.parent / "layers" / "catalogs"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def test_every_department_of_the_packaged_catalogs_has_both_names() -> None:
    catalog = read_catalog(CATALOGS / "targets.toml")
    used = {d for spec in catalog.indicators for d in spec.responsible}
    assert len(used) == 22  # the annex's 13 district bodies and the city plan's 9
    assert used == set(catalog.departments), "an entry nobody names, or a name with no entry"
    for name, entry in catalog.departments.items():
        assert CJK.search(name), name  # the Chinese, as the annex writes it
        assert entry.en and not CJK.search(entry.en), name
        assert entry.kind in DEPARTMENT_KINDS
        assert entry.kind != "official" or entry.source, name
    for spec in catalog.indicators:
        assert len(spec.responsible_en) == len(spec.responsible), spec.id
        assert not any(CJK.search(d) for d in spec.responsible_en), spec.id
    by_id = {s.id: s for s in catalog.indicators}
    assert by_id["HP-19"].responsible_en == ["District City Administration Commission",
                                             "Heping Detachment of the Tianjin Traffic Police"]


def test_every_group_of_the_packaged_catalogs_has_both_names() -> None:
    catalog = read_catalog(CATALOGS / "targets.toml")
    used = {spec.group for spec in catalog.indicators if spec.group}
    assert len(used) == 14  # the annex's 目标类型, the plan text's and the city plan's groups
    assert used == set(catalog.groups), "an entry nobody names, or a group with no entry"
    for spec in catalog.indicators:
        assert bool(spec.group_en) == bool(spec.group), spec.id
        assert not CJK.search(spec.group_en), spec.id


def test_groups_take_their_english_names_and_a_bad_entry_is_refused(tmp_path: Path) -> None:
    row = ROW + 'group = "甲组"\n'
    own = '[groups]\n"甲组" = "Group A"\n' + row
    assert read_catalog(_catalog(tmp_path, own, '[groups]\n"甲组" = "A"\n')).indicators[
        0].group_en == "Group A"
    path = _catalog(tmp_path, '[groups]\n"甲组" = ""\n' + row)
    with pytest.raises(PeakmapError, match="group 甲组: the English name must be non-empty"):
        read_catalog(path)
    path = _catalog(tmp_path, row + 'group_en = "A"\n')
    with pytest.raises(PeakmapError, match="indicator X-1: group_en: English names are kept in "
                       "a \\[groups\\] table"):
        read_catalog(path)


def _catalog(tmp_path: Path, own: str, included: str = "") -> Path:
    (tmp_path / "more.toml").write_text(included, encoding="utf-8")
    path = tmp_path / "targets.toml"
    path.write_text('include = ["more.toml"]\n' + own, encoding="utf-8")
    return path


ROW = """
[[indicator]]
id = "X-1"
title = "甲"
kind = "count"
responsible = ["区商务局", "区新设局"]
"""


def test_rows_take_their_english_names_from_the_table(tmp_path: Path) -> None:
    # the including file's entry wins; a department without an entry keeps its Chinese name
    own = '[departments]\n"区商务局" = { en = "Commerce Office", kind = "translation" }\n' + ROW
    more = '[departments]\n"区商务局" = { en = "District Commerce Bureau", kind = "translation" }\n'
    catalog = read_catalog(_catalog(tmp_path, own, more))
    assert catalog.indicators[0].responsible_en == ["Commerce Office", "区新设局"]


@pytest.mark.parametrize(("text", "message"), [
    ('[departments]\n"区商务局" = { en = "Commerce", kind = "guess" }\n',
     "department 区商务局: kind:"),
    ('[departments]\n"区商务局" = { en = " ", kind = "translation" }\n',
     "department 区商务局: en:"),
    ('[departments]\n"区商务局" = { en = "Commerce", kind = "official" }\n',
     "department 区商务局: an official English name needs its source"),
    ('[departments]\n"区商务局" = "Commerce"\n', "department 区商务局: not a table"),
    ('departments = 1\n', "departments must be a table"),
    (ROW + 'responsible_en = ["Commerce"]\n',
     "indicator X-1: responsible_en: English names are kept in a [departments] table"),
])
def test_a_bad_departments_entry_is_one_clear_error(tmp_path: Path, text: str,
                                                    message: str) -> None:
    path = _catalog(tmp_path, text)
    with pytest.raises(PeakmapError) as err:
        read_catalog(path)
    assert str(err.value).startswith(f"{path}: {message}"), str(err.value)


def test_records_tables_and_workbooks_show_departments_per_language(tmp_path: Path) -> None:
    from fixtures.tiny import make_project

    project = make_project(tmp_path)
    catalog = read_catalog(CATALOGS / "targets.toml")
    records = compute_records(project, catalog=catalog, ids=["HP-19"])
    district = next(r for r in records if r.level == "district")
    assert district.responsible == "区城市管理委、公安交管和平支队"
    assert district.responsible_en == ("District City Administration Commission; "
                                       "Heping Detachment of the Tianjin Traffic Police")
    assert responsible_departments(district, "en") == (
        "District City Administration Commission",
        "Heping Detachment of the Tianjin Traffic Police")
    assert responsible_departments(district, "zh") == ("区城市管理委", "公安交管和平支队")
    # the terminal table
    for lang, shown, hidden in (("en", "Heping Detachment", "公安交管"),
                                ("zh", "公安交管和平支队", "Detachment")):
        out = io.StringIO()
        Console(file=out, width=400).print(records_to_table([district], lang=lang, title="t"))
        assert shown in out.getvalue() and hidden not in out.getvalue()
    # the annex workbook: the 责任单位 column of the district sheet
    for lang, expected in (("en", district.responsible_en), ("zh", district.responsible)):
        path = tmp_path / f"r-{lang}.xlsx"
        write_xlsx([district], path, lang=lang)
        sheet = load_workbook(path).worksheets[0]
        cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
        assert expected in cells, (lang, cells)


def _records(_project: object) -> list[dict[str, object]]:
    rows = [record("district", "120101", "和平区", 15_000.0, 12_000.0, "pass", 0.0),
            record("street", "S1", "西街道", 10_000.0, 8_000.0, "pass", 0.0),
            record("street", "S2", "东街道", 5_000.0, 8_000.0, "fail", 3_000.0)]
    for r in rows:
        r["responsible"] = "区城市管理委、区商务局"
        r["responsible_en"] = "District City Administration Commission; District Commerce Bureau"
    return rows


def test_pages_show_departments_per_language(tmp_path: Path) -> None:
    from fixtures.web import build_fixture

    from web.app import create_app

    client = TestClient(create_app(build_fixture(tmp_path / "p"), records_fn=_records))
    en = client.get("/?level=district&lang=en").text
    assert "District City Administration Commission; District Commerce Bureau" in en
    assert "区城市管理委" not in en
    zh = client.get("/?level=district").text
    assert "区城市管理委、区商务局" in zh and "Commerce Bureau" not in zh
    # the matrix: its department filter lists each department once, in the page's language
    matrix = client.get("/?lang=en").text
    assert '<option value="District Commerce Bureau">' in matrix
    assert "区商务局" not in matrix
    assert '<option value="区商务局">' in client.get("/").text


def test_a_record_without_english_names_shows_the_chinese() -> None:
    rec = {"responsible": "区商务局"}
    assert responsible_label(rec, "en") == "区商务局"
    assert responsible_departments(rec, "en") == ("区商务局",)
