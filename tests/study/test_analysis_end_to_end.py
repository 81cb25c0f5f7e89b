"""From simulated responses in the database to indicators, wave changes and rankings."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from surveyapp import datasets, studies
from surveyapp.analysis.indicators import compare_waves, estimate, estimate_all, rank_units_by
from surveyapp.analysis.plan import Weighting
from surveyapp.analysis.sample import prepare
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
    sample = prepare(simulated.frame, plan, simulated.batteries())
    assert 0 < sample.quality["flagged"] < 0.2 * 2400 and sample.quality["kept"] == len(sample.frame)
    assert sample.design is None and not sample.weighting["weighted"]
    results = estimate_all(sample, plan)
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


def test_a_weighted_plan_rakes_to_the_population_and_reports_what_it_did(simulated):
    """Are responses raked to the declared counts, the unweightable ones counted, and SEs design-based?"""
    plan = studies.plan_for("community_safety")
    margins = {"a1_sex": {"1": 49000, "2": 51000},
               "a2_age": {"1": 12000, "2": 20000, "3": 22000, "4": 26000, "5": 20000}}
    weighted_plan = dataclasses.replace(plan, weighting=Weighting(margins, trim_upper=6))
    sample = prepare(simulated.frame, weighted_plan, simulated.batteries())
    info = sample.weighting
    assert info["weighted"] and info["method"] == "rake" and info["n_weighted"] + info["n_unweighted"] == info["n"]
    prefer_not_to_say = int((simulated.frame["a1_sex"].astype(object) == "3").sum())
    assert 0 < info["n_unweighted"] <= prefer_not_to_say   # sex "3" (不愿回答) has no population count
    by_sex = pd.Series(sample.design.weights).groupby(sample.frame["a1_sex"].astype(object).to_numpy()).sum()
    assert by_sex["1"] == pytest.approx(49000, rel=1e-6) and by_sex["2"] == pytest.approx(51000, rel=1e-6)
    result = estimate(plan.indicator("safety_rate"), sample, weighted_plan)
    assert result.deff is not None and result.method == "logit" and result.se > 0
    assert result.ci_low < result.estimate < result.ci_high


def test_simulate_takes_channel_and_wave_shifts(app, runner):
    """Do --channel-shift and --wave-shift change the simulated answers in the direction asked?"""
    import_file(QUESTIONNAIRES / "community_safety.yaml")
    studies.import_plan(QUESTIONNAIRES / "community_safety.analysis.yaml")
    args = ["responses", "simulate", "community_safety", "--n", "1500", "--seed", "3", "--wave", "2026Q3",
            "--channel-shift", "c101=-1.5", "--channel-shift", "c301=1.0", "--wave-shift", "0"]
    assert runner.invoke(args=args).exit_code == 0
    plan = studies.plan_for("community_safety")
    rates = estimate_by_channel(plan)
    assert rates["c101"] < rates["c301"] - 0.15
    bad = runner.invoke(args=["responses", "simulate", "community_safety", "--n", "1", "--channel-shift", "c101"])
    assert bad.exit_code == 2 and "CODE=SHIFT" in bad.output


def estimate_by_channel(plan):
    from surveyapp.analysis.indicators import estimate_by
    frame = datasets.load_dataset("community_safety").frame
    return {k: v.estimate for k, v in estimate_by(plan.indicator("satisfaction_top2"), frame, plan, "_channel").items()}
