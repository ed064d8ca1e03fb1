"""The dashboard prints a row's value, target and gap in one number format (layers.numfmt).

Records by hand (tests/fixtures/web.py's ``record``, unit m²): green area 1,568,269.37 m²
against ≥ 1,620,000 m², so the gap is 1,620,000 − 1,568,269.37 = 51,730.63 m², printed
whole (m² needs no decimals) and signed: +51,731 m². A share row (unit %) of 66.67 % against
> 80 % has a gap of 13.33 percentage points; its target shares the row's two decimals.
"""

from __future__ import annotations

import html
import re

import pytest
from fixtures.web import TestClient, build_fixture, record

from web.app import create_app

ROWS = [
    record("district", "120101", "和平区", 1_568_269.37, 1_620_000.0, "fail", 51_730.63),
    {**record("street", "S1", "西街道", 66.67, 80.0, "fail", 13.33, indicator="HP-17"),
     "unit": "%", "op": ">"},
    {**record("street", "S2", "东街道", 50.0, 80.0, "fail", 30.0, indicator="HP-17"),
     "unit": "%", "op": ">"},
    record("street", "S1", "西街道", 3.0, 5.0, "fail", 2.0, indicator="HP-05"),
    {**record("street", "S2", "东街道", None, 5.0, "no-data", None, indicator="HP-05")},
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    project = build_fixture(tmp_path_factory.mktemp("figures") / "proj")
    return TestClient(create_app(project, records_fn=lambda *_a, **_k: [dict(r) for r in ROWS]))


def _cells(page: str) -> list[list[str]]:
    """The number cells (value, target, gap) of each table row, whitespace collapsed."""
    rows = []
    for tr in re.findall(r"<tr[ >](.*?)</tr>", page, re.S):
        nums = re.findall(r'<td class="num">(.*?)</td>', tr, re.S)
        if nums:
            rows.append([" ".join(html.unescape(n).split()) for n in nums[:3]])
    return rows


def test_district_gap_is_whole_signed_m2(client: TestClient) -> None:
    r = client.get("/?level=district")
    assert r.status_code == 200, r.text
    assert _cells(r.text) == [["1,568,269 m²", "≥ 1,620,000 m²", "+51,731 m²"]]
    assert "51,730.63" not in r.text and "51,731.00" not in r.text


def test_street_rows_share_their_decimals(client: TestClient) -> None:
    cells = _cells(client.get("/?level=street&lang=en").text)
    # a share's gap in percentage points; the target shares the row's decimals
    assert ["66.67 %", "> 80.00 %", "+13.33 pp"] in cells
    assert ["50 %", "> 80 %", "+30 pp"] in cells  # all whole: no decimals on any of them
    assert ["3 m²", "≥ 5 m²", "+2 m²"] in cells
    assert ["no data", "≥ 5 m²", ""] in cells  # never "None", "nan" or 0
    zh = _cells(client.get("/?level=street").text)
    assert ["66.67 %", "> 80.00 %", "+13.33 百分点"] in zh
    assert ["无数据", "≥ 5 m²", ""] in zh
