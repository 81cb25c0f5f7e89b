"""From simulated responses in the database to indicators, wave changes and rankings."""

from __future__ import annotations

import pytest

from surveyapp import datasets, studies
from surveyapp.analysis.indicators import compare_waves, estimate_all, rank_units_by
from surveyapp.analysis.quality import screen
from tests.builders import import_file
from tests.conftest import ROOT

QUESTIONNAIRES = ROOT / "questionnaires"


@pytest.fixture
def simulated(app, runner):
    """The bundled questionnaire and plan, with 1200 simulated responses in each of two waves."""
    import_file(QUESTIONNAIRES / "community_safety.yaml")
    studies.import_plan(QUESTIONNAIRES / "community_safety.analysis.yaml")
    for wave, seed in (("2026Q3", 1), ("2026Q4", 2)):
        result = runner.invoke(args=["responses", "simulate", "community_safety", "--n", "1200", "--seed",
                                     str(seed), "--wave", wave])
        assert result.exit_code == 0, result.output
        assert "stored 1200 simulated responses" in result.output
    return datasets.load_dataset("community_safety")


def test_simulated_responses_give_plausible_indicators_with_quality_flags(simulated):
    """Do 2400 simulated responses give rates in the usual ranges, with flagged ones left out and counted?"""
    plan = studies.plan_for("community_safety")
    assert len(simulated) == 2400 and set(simulated.frame["_wave"].astype(object)) == {"2026Q3", "2026Q4"}
    screened = screen(simulated.frame, simulated.batteries(), plan.quality)
    assert 0 < screened.summary["flagged"] < 0.2 * 2400 and screened.summary["kept"] == len(screened.frame)
    results = estimate_all(plan, screened.frame)
    assert 0.85 < results["safety_rate"].estimate < 0.99
    assert results["safety_rate"].ci_low < results["safety_rate"].estimate < results["safety_rate"].ci_high
    assert 0 < results["safety_score"].estimate < 100 and results["policing_index"].se > 0
    assert results["reporting_rate"].n < results["victimisation_rate"].n   # asked of victims only


def test_waves_compare_and_communities_rank(simulated):
    """Can an indicator be compared between waves, and are communities ranked with their n?"""
    plan = studies.plan_for("community_safety")
    frame = simulated.frame
    change = compare_waves(plan.indicator("satisfaction_rate"), frame, plan, "2026Q3", "2026Q4")
    assert change.n1 + change.n2 <= 2400 and 0 <= change.p_value <= 1
    table = rank_units_by(plan.indicator("visibility_rate"), frame, plan, "_channel")
    assert {r.unit for r in table} == {"c101", "c102", "c103", "c201", "c202", "c301", "c302"}
    ranked = [r for r in table if r.rank is not None]
    assert ranked and ranked[-1].unit == "c302"   # the simulated community with the fewest patrols
    assert all(r.n >= plan.min_n for r in ranked)
