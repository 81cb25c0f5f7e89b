"""The export's roster tables (one row per entry), the main table's roster counts and timing
rows, and a codebook that covers every table."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from surveyapp import export, responses
from surveyapp.simulate import SimulatedResponse
from tests.builders import import_file, import_yaml
from tests.conftest import DATA

UTC = dt.timezone.utc
STARTED = dt.datetime(2026, 11, 3, 15, 50, tzinfo=UTC)
SUBMITTED = dt.datetime(2026, 11, 3, 16, 5, tzinfo=UTC)   # 00:05 on 4 November, China time
ANSWERS = [
    {"safety": "2", "hh_size": 2,
     "member": [{"m_sex": "f", "m_age": 41, "m_victim": "no"},
                {"m_sex": "m", "m_age": 12, "m_victim": "yes", "m_crime": "theft"}],
     "incident": [{"i_date": "2026-10-01", "i_sat": "1"}]},
    {"safety": "9", "hh_size": 1, "member": [{"m_sex": "m", "m_age": 70, "m_victim": "no"}]},
]


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.fixture
def household(app):
    """The household roster questionnaire with two stored responses (3 members, 1 incident)."""
    import_file(DATA / "household_roster.yaml")
    items = [SimulatedResponse("n1", answers, STARTED, SUBMITTED) for answers in ANSWERS]
    assert responses.store_batch("household_roster", items) == 2


def test_roster_table_one_row_per_entry(runner, household):
    """Does --table member give response_id, member_index from 1 and the entry's coded answers?"""
    result = runner.invoke(args=["responses", "export", "household_roster", "--table", "member"])
    assert result.exit_code == 0, result.output
    rows = rows_of(result.output)
    assert list(rows[0]) == ["response_id", "member_index", "m_sex", "m_age", "m_victim", "m_crime"]
    first, second = {r["response_id"] for r in rows[:2]}, rows[2]["response_id"]
    assert len(first) == 1 and second != first.pop()
    assert [r["member_index"] for r in rows] == ["1", "2", "1"]
    assert rows[1]["m_crime"] == "theft" and rows[0]["m_crime"] == "" and rows[2]["m_age"] == "70"


def test_main_table_counts_entries_without_spreading_them(runner, household):
    """Is the main table as before, with member_count/incident_count and no roster questions?"""
    rows = rows_of(runner.invoke(args=["responses", "export", "household_roster"]).output)
    assert list(rows[0])[:6] == list(export.META)
    assert "m_age" not in rows[0] and "member" not in rows[0]
    assert [(r["member_count"], r["incident_count"]) for r in rows] == [("2", "1"), ("1", "0")]  # asked, none given


def test_unknown_table_is_one_line_listing_the_tables(runner, household):
    """Does an unknown table name end with one line naming the tables, and no traceback?"""
    result = runner.invoke(args=["responses", "export", "household_roster", "--table", "members"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "members" in lines[0] and "main, member, incident" in lines[0]
    assert "Traceback" not in result.output


def test_roster_table_to_file(runner, household, tmp_path):
    """Does --output write the roster table and say how many responses it read?"""
    target = tmp_path / "incident.csv"
    result = runner.invoke(args=["responses", "export", "household_roster", "--table", "incident",
                                 "--output", str(target)])
    assert result.exit_code == 0
    rows = rows_of(target.read_text(encoding="utf-8"))
    assert [(r["incident_index"], r["i_date"], r["i_sat"]) for r in rows] == [("1", "2026-10-01", "1")]


def test_codebook_covers_every_table(runner, household, tmp_path):
    """Does the codebook describe the main table and each roster's, keys and counts included?"""
    book = tmp_path / "book.csv"
    runner.invoke(args=["responses", "export", "household_roster", "--codebook", str(book), "--output",
                        str(tmp_path / "main.csv")])
    rows = rows_of(book.read_text(encoding="utf-8"))
    by_table = {}
    for row in rows:
        by_table.setdefault(row["table"], []).append(row["column"])
    assert list(by_table) == ["main", "member", "incident"]
    assert by_table["member"] == ["response_id", "member_index", "m_sex", "m_age", "m_victim", "m_crime"]
    assert "member_count" in by_table["main"] and "response_id" in by_table["main"]
    sex = next(r for r in rows if r["column"] == "m_sex")
    assert sex["values"] == "m=男; f=女" and sex["label"] == "性别"
    count = next(r for r in rows if r["column"] == "member_count")
    assert count["type"] == "count" and "家庭成员" in count["label"]


TIMED = """form_id: timed
title: 计时
survey:
  - {type: start, name: began}
  - {type: end, name: ended}
  - {type: today, name: day}
  - {type: integer, name: n, label: 人数}
  - type: begin_repeat
    name: p
    label: 人
    repeat_count: ${n}
    children:
      - {type: integer, name: p_index, label: 门牌序号}
      - {type: select_multiple pets, name: p_pets, label: 宠物}
choices:
  pets:
    - {name: cat, label: 猫}
    - {name: dog, label: 狗}
"""


def test_timing_rows_and_name_clashes(runner, app):
    """Are start/end/today filled from the response's times (today in China time), and does an
    entry question called p_index push the index column to p_index_2?"""
    import_yaml(TIMED, "timed.yaml")
    answers = {"n": 1, "p": [{"p_index": 7, "p_pets": ["dog"]}]}
    responses.store_batch("timed", [SimulatedResponse(None, answers, STARTED, SUBMITTED)])
    main = rows_of(runner.invoke(args=["responses", "export", "timed"]).output)[0]
    assert main["began"] == main["started_at"] and main["ended"] == main["submitted_at"]
    assert main["began"].startswith("2026-11-03T15:50") and main["day"] == "2026-11-04"
    entry = rows_of(runner.invoke(args=["responses", "export", "timed", "--table", "p"]).output)[0]
    assert list(entry) == ["response_id", "p_index_2", "p_index", "p_pets/cat", "p_pets/dog"]
    assert [entry[k] for k in ("p_index_2", "p_index", "p_pets/cat", "p_pets/dog")] == ["1", "7", "0", "1"]
