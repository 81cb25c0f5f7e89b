"""Plans, waves, administrative inputs and loading responses for analysis (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from surveyapp import datasets, responses, studies
from surveyapp.extensions import db
from surveyapp.models import AdminInput, Questionnaire
from tests.builders import import_file
from tests.conftest import DATA, ROOT

QUESTIONNAIRES = ROOT / "questionnaires"
ANSWERS = json.loads((DATA / "community_safety_answers.json").read_text(encoding="utf-8"))
UTC = dt.timezone.utc


@pytest.fixture
def bundled(app):
    """The bundled questionnaire and its analysis plan, imported."""
    import_file(QUESTIONNAIRES / "community_safety.yaml")
    return studies.import_plan(QUESTIONNAIRES / "community_safety.analysis.yaml")


def _store(answers, channel, submitted):
    item = responses.Prepared(answers, channel, submitted - dt.timedelta(minutes=6), submitted)
    return responses.store_batch("community_safety", [item])


def test_importing_the_plan_stores_it_and_creates_its_waves(bundled):
    """Does importing a plan store its indicators and create the waves it declares, once?"""
    assert bundled.indicators == 22 and bundled.waves_created == ["2026Q3", "2026Q4"]
    again = studies.import_plan(QUESTIONNAIRES / "community_safety.analysis.yaml")
    assert not again.changed and again.waves_created == []
    assert studies.plan_for("community_safety").indicator("safety_rate").positive == ("1", "2", "3")


def test_import_command_picks_up_plans_in_a_directory(runner, app):
    """Does `questionnaire import DIR` import the questionnaires and then their plans?"""
    result = runner.invoke(args=["questionnaire", "import", str(QUESTIONNAIRES)])
    assert result.exit_code == 0, result.output
    assert "analysis plan of community_safety, 22 indicators" in result.output
    assert db.session.scalar(select(Questionnaire.analysis).where(Questionnaire.form_id == "community_safety"))


def test_wave_create_refuses_overlaps_and_duplicates(runner, bundled):
    """Does `wave create` add a wave and refuse an overlapping or repeated one, saying why?"""
    ok = runner.invoke(args=["wave", "create", "community_safety", "2027H1", "--start", "2027-01-01",
                             "--end", "2027-06-30"])
    assert ok.exit_code == 0 and "2027H1" in ok.output
    overlap = runner.invoke(args=["wave", "create", "community_safety", "x", "--start", "2026-12-01",
                                  "--end", "2027-01-31"])
    assert overlap.exit_code == 1 and "2026Q4" in overlap.output
    backwards = runner.invoke(args=["wave", "create", "community_safety", "y", "--start", "2028-02-01",
                                    "--end", "2028-01-01"])
    assert backwards.exit_code == 1 and "YYYY-MM-DD" in backwards.output
    listed = runner.invoke(args=["wave", "list", "community_safety"]).output.split()
    assert listed[::3] == ["2026Q3", "2026Q4", "2027H1"]


def test_admin_inputs_are_all_or_nothing_and_replace_earlier_figures(runner, bundled, tmp_path):
    """Is a CSV with one bad cell refused whole, naming row and column, and a good one stored?"""
    bad = tmp_path / "bad.csv"
    bad.write_text("questionnaire,unit,period,cases,population\ncommunity_safety,c101,2026Q3,12,8000\n"
                   "community_safety,c102,2026Q3,-1,7000\nnope,c103,2026Q3,1,1\n", encoding="utf-8")
    result = runner.invoke(args=["inputs", "import", str(bad)])
    assert result.exit_code == 1
    assert "row 3" in result.output and "cases" in result.output and "nope" in result.output
    assert db.session.scalar(select(func.count()).select_from(AdminInput)) == 0
    good = tmp_path / "good.csv"
    good.write_text("\ufeffunit,period,cases,population\nc101,2026Q3,12,8000\nc102,2026Q3,3,\n", encoding="utf-8")
    for _ in range(2):
        result = runner.invoke(args=["inputs", "import", str(good), "--questionnaire", "community_safety"])
        assert result.exit_code == 0, result.output
    table = studies.admin_inputs("community_safety")
    assert len(table) == 3 and table.set_index(["unit", "measure"]).loc[("c101", "cases"), "value"] == 12


def test_load_dataset_reads_every_response_with_its_wave(bundled):
    """Does the dataset hold one typed row per response, with channel, version and wave?"""
    _store(ANSWERS, "c101", dt.datetime(2026, 8, 1, 2, tzinfo=UTC))
    _store(ANSWERS, "c102", dt.datetime(2026, 11, 1, 2, tzinfo=UTC))
    _store(ANSWERS, None, dt.datetime(2027, 3, 1, 2, tzinfo=UTC))
    data = datasets.load_dataset("community_safety")
    frame = data.frame
    assert len(frame) == 3 and frame["_version"].tolist() == [1, 1, 1]
    assert list(frame["_wave"].astype(object).fillna("-")) == ["2026Q3", "2026Q4", "-"]
    assert frame["_duration_s"].tolist() == [360.0] * 3
    assert frame["b1_safety"].astype(object).tolist() == [ANSWERS["b1_safety"]] * 3
    assert "c3_harm/7" in frame and str(frame["a6_household"].dtype) == "Int64"


def test_load_dataset_filters_by_wave_channel_time_and_version(bundled):
    """Do the wave, channel, time and version filters select the right responses?"""
    _store(ANSWERS, "c101", dt.datetime(2026, 8, 1, 2, tzinfo=UTC))
    _store(ANSWERS, "c102", dt.datetime(2026, 11, 1, 2, tzinfo=UTC))
    _store(ANSWERS, "c102", dt.datetime(2026, 9, 30, 17, tzinfo=UTC))   # 1 October in Beijing
    assert len(datasets.load_dataset("community_safety", waves=["2026Q3"])) == 1
    assert len(datasets.load_dataset("community_safety", waves=["2026Q4"])) == 2
    assert len(datasets.load_dataset("community_safety", channels=["c101"])) == 1
    assert len(datasets.load_dataset("community_safety", since=dt.datetime(2026, 9, 1, tzinfo=UTC))) == 2
    assert len(datasets.load_dataset("community_safety", versions=[2])) == 0
    with pytest.raises(studies.StudyError, match="2030Q1"):
        datasets.load_dataset("community_safety", waves=["2030Q1"])


def test_store_batch_validates_and_stores_nothing_of_a_bad_batch(bundled):
    """Does a batch with an invalid response raise and leave that batch unstored?"""
    bad = {**ANSWERS, "b1_safety": "42"}
    items = [responses.Prepared(a, "c101", None, dt.datetime(2026, 8, 1, tzinfo=UTC)) for a in (ANSWERS, bad)]
    with pytest.raises(responses.SubmissionRejected):
        responses.store_batch("community_safety", items)
    assert len(datasets.load_dataset("community_safety")) == 0
