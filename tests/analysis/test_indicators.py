"""Indicators of an analysis plan on tiny hand-checked frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.design import Design
from surveyapp.analysis.indicators import (admin_rates, compare_samples, compare_waves, estimate, estimate_all,
                                           indicator_values, poisson_interval, rank_units_by)
from surveyapp.analysis.sample import Sample
from surveyapp.analysis.plan import Indicator, Plan

SAFE = Indicator("safe", "rate", {"zh": "安全感率"}, question="b1", positive=("1", "2", "3"), exclude=("9",))
SCORE = Indicator("score", "score", {"zh": "得分"}, question="b1", exclude=("9",),
                  scores={"1": 100, "2": 75, "3": 50, "4": 25, "5": 0})
VICTIM = Indicator("victim", "rate", {"zh": "受害率"}, question="harm", any_of=("1", "2"), exclude=("9",),
                   higher_is_better=False)
INDEX = Indicator("index", "composite", {"zh": "指数"}, components={"safe": 0.5, "score": 0.5})
CASES = Indicator("cases", "admin", {"zh": "发案率"}, numerator="cases", denominator="population", per=10000)
PLAN = Plan("f", (SAFE, SCORE, VICTIM, INDEX, CASES), min_n=3)


def _frame() -> pd.DataFrame:
    b1 = ["1", "2", "4", "9", None, "3", "5", "1"]
    return pd.DataFrame({
        "b1": pd.Categorical(b1, categories=["1", "2", "3", "4", "5", "9"], ordered=True),
        "harm/1": pd.array([True, False, False, None, False, True, False, False], dtype="boolean"),
        "harm/2": pd.array([False, False, True, None, False, False, False, False], dtype="boolean"),
        "harm/9": pd.array([False, False, False, None, True, False, False, False], dtype="boolean"),
        "_channel": ["a", "a", "a", "a", "b", "b", "b", "b"],
        "_wave": ["Q3", "Q3", "Q3", "Q3", "Q4", "Q4", "Q4", "Q4"],
    })


def test_a_rate_leaves_excluded_and_unanswered_out_of_its_base():
    """Is 说不清 (9) and no answer outside the base, and the share taken of the rest?"""
    values = indicator_values(SAFE, _frame())
    assert values.tolist()[:4] == [1, 1, 0, None] or np.isnan(values.iloc[3])
    result = estimate(SAFE, _frame(), PLAN)
    assert result.n == 6 and result.estimate == pytest.approx(4 / 6)
    assert result.method == "clopper-pearson"   # fewer than 5 answers on one side: the exact interval
    assert result.extra["excluded_codes"] == ["9"]


def test_a_score_maps_codes_to_points():
    """Is the score the mean of mapped values over the substantive answers?"""
    result = estimate(SCORE, _frame(), PLAN)
    assert result.n == 6 and result.estimate == pytest.approx((100 + 75 + 25 + 50 + 0 + 100) / 6)
    assert result.extra["unit"] == "points"


def test_a_multiple_choice_rate_counts_any_of_the_codes():
    """Does a select_multiple rate count respondents choosing any listed code, among those who answered?"""
    result = estimate(VICTIM, _frame(), PLAN)
    # rows: 1 yes, 2 no, 3 yes, 4 unanswered, 5 chose the excluded code, 6 yes, 7 no, 8 no
    assert result.n == 6 and result.estimate == pytest.approx(3 / 6)


def test_a_composite_adds_rates_as_percentages_and_its_se_counts_the_covariance():
    """Is a composite the weighted sum (rates as %), with an SE from the summed influence values?"""
    frame = _frame()
    result = estimate(INDEX, frame, PLAN)
    assert result.estimate == pytest.approx(0.5 * 100 * 4 / 6 + 0.5 * 350 / 6)
    rate = indicator_values(SAFE, frame).to_numpy() * 100
    score = indicator_values(SCORE, frame).to_numpy()
    valid = ~np.isnan(rate)
    z = 0.5 * (rate[valid] - rate[valid].mean()) / valid.sum() + 0.5 * (score[valid] - score[valid].mean()) / valid.sum()
    n = len(frame)   # every respondent is its own PSU: with-replacement variance n/(n-1) Σ (z - z̄)²
    z_all = np.zeros(n)
    z_all[valid] = z
    expected = math.sqrt(n / (n - 1) * np.sum((z_all - z_all.mean()) ** 2))
    assert result.se == pytest.approx(expected)
    assert result.extra["component_n"] == {"safe": 6, "score": 6}


def test_estimates_can_be_taken_for_a_domain_and_a_wave_change_is_tested():
    """Do domains restrict the base, and does a wave comparison give the change with its test?"""
    frame = _frame()
    q3 = estimate(SAFE, frame, PLAN, domain=(frame["_wave"] == "Q3").to_numpy())
    assert q3.n == 3 and q3.estimate == pytest.approx(2 / 3)
    change = compare_waves(SAFE, frame, PLAN, "Q3", "Q4")
    assert change.estimate == pytest.approx(2 / 3 - 2 / 3) and change.n1 == 3 and change.n2 == 3
    assert not change.significant
    waves = frame["_wave"]
    q3, q4 = (Sample(frame[waves == w].reset_index(drop=True), Design(np.ones(4))) for w in ("Q3", "Q4"))
    weighted = compare_samples(SCORE, q3, q4, PLAN)
    assert weighted.estimate == pytest.approx((50 + 0 + 100) / 3 - (100 + 75 + 25) / 3)
    assert weighted.method == "t" and weighted.df == 6   # design df of the waves: 3 + 3


def test_units_under_the_minimum_are_not_ranked():
    """Are units with fewer valid answers than min_n listed as insufficient, not ranked?"""
    table = rank_units_by(SAFE, _frame(), PLAN, "_channel", min_n=3)
    assert [(r.unit, r.rank, r.status) for r in table] == [("a", 1, "ranked"), ("b", 1, "ranked")]   # a tie
    table = rank_units_by(SAFE, _frame(), PLAN, "_channel", min_n=4)
    assert all(r.status == "insufficient_sample" and r.rank is None for r in table)


def test_estimate_all_skips_admin_indicators():
    """Does estimate_all give every survey indicator and leave administrative ones out?"""
    assert set(estimate_all(_frame(), PLAN)) == {"safe", "score", "victim", "index"}


def test_admin_rates_per_unit_and_period_with_an_exact_poisson_interval():
    """Is 发案率 cases / population × 10,000 with Garwood's exact interval, for units with both figures?"""
    inputs = pd.DataFrame({"unit": ["a", "a", "b"], "period": ["Q3"] * 3,
                           "measure": ["cases", "population", "cases"], "value": [12, 8000, 3]})
    (rate,) = admin_rates(CASES, inputs)
    low, high = poisson_interval(12)
    assert rate.unit == "a" and rate.estimate == pytest.approx(15.0)
    assert (low, high) == pytest.approx((6.200575, 20.961585), rel=1e-6)   # R: poisson.test(12)$conf.int
    assert rate.ci_low == pytest.approx(low * 10000 / 8000)


def test_two_administrative_rates_are_compared_exactly():
    """Is a change in 发案率 tested with the exact conditional (binomial) test of two Poisson rates?"""
    from surveyapp.analysis.indicators import AdminRate, compare_rates
    from scipy import stats

    before = AdminRate("a", "Q3", 30, 10000, 10000, 30.0, 0, 0)
    after = AdminRate("a", "Q4", 12, 10000, 10000, 12.0, 0, 0)
    change = compare_rates(before, after)
    assert change.difference == -18.0 and change.ratio == pytest.approx(0.4)
    # R: poisson.test(c(12, 30), c(10000, 10000))$p.value == binom.test(12, 42, 0.5)$p.value
    assert change.p_value == pytest.approx(stats.binomtest(12, 42, 0.5).pvalue) and change.significant
    same = compare_rates(before, AdminRate("a", "Q4", 28, 10000, 10000, 28.0, 0, 0))
    assert not same.significant
