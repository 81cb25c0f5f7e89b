"""Differences, multiple testing and league tables: R's cases a (binom.test), e and h, plus hand checks."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.compare import (INSUFFICIENT, NOT_DIFFERENT, adjust_pvalues, binomial_test, compare_counts,
                                        compare_groups, compare_proportions, difference, rank_units)
from surveyapp.analysis.design import Design
from surveyapp.analysis.estimates import proportion
from surveyapp.analysis.results import Estimate
from tests.analysis.reference import load_csv, number, raw

REL = 1e-6


def close(value: float, wanted: object, rel: float = REL) -> bool:
    """Equal to an R value (r_raw.json) within a relative tolerance."""
    return value == pytest.approx(number(wanted), rel=rel)


def answers(x: int, n: int) -> pd.Series:
    """x ones and n - x zeros."""
    return pd.Series([1] * x + [0] * (n - x))


def estimate(value: float, se: float, n: int = 100, df: float | None = None) -> Estimate:
    """An estimate with a normal 95% interval."""
    return Estimate(value, se, value - 1.959964 * se, value + 1.959964 * se, n, "test", df=df)


@pytest.mark.parametrize("name", ["main", "edge_x2_n30", "edge_x0_n20", "large_x412_n800"])
def test_case_a_binomial_test(name: str) -> None:
    """Does the exact binomial test against 0.5 match binom.test?"""
    r = raw("a")[name]
    assert close(binomial_test(r["x"], r["n"]).p_value, r["binom_test_p_vs_0.5"])


@pytest.fixture(scope="module")
def unweighted_waves():
    """Case e unweighted: 412/800 then 455/820, as counts and as answer series."""
    return compare_counts(412, 800, 455, 820), compare_proportions(answers(412, 800), answers(455, 820))


@pytest.mark.parametrize("which", [0, 1])
def test_case_e_unweighted(unweighted_waves, which: int) -> None:
    """Do the change, pooled z, χ², p and Wald interval match prop.test(correct=FALSE)?"""
    r, diff = raw("e")["unweighted"], unweighted_waves[which]
    assert close(diff.estimate, r["diff"]) and close(diff.statistic, r["z"]) and close(diff.p_value, r["p_value"])
    assert close(diff.extra["chisq"], r["chisq"])
    assert close(diff.ci_low, r["ci_wald"]["lower"]) and close(diff.ci_high, r["ci_wald"]["upper"])
    assert (diff.n1, diff.n2, diff.significant) == (800, 820, False)


@pytest.fixture(scope="module")
def weighted_waves():
    """Case e weighted: case b then wave 2, each stratified-cluster, and their difference."""
    wave1, wave2 = load_csv("case_b_design"), load_csv("case_e_wave2")
    design1, design2 = (Design.from_frame(f, weight="w", strata="stratum", cluster="psu") for f in (wave1, wave2))
    return (proportion(wave1["y"], design1), proportion(wave2["y"], design2),
            compare_proportions(wave1["y"], wave2["y"], design1, design2))


def test_case_e_weighted_waves(weighted_waves) -> None:
    """Does each wave's design-based proportion and SE match R?"""
    r, (est1, est2, _) = raw("e")["weighted_cluster"], weighted_waves
    assert close(est1.estimate, r["p_w1"]) and close(est1.se, r["se_w1"])
    assert close(est2.estimate, r["p_w2"]) and close(est2.se, r["se_w2"])


def test_case_e_weighted_difference(weighted_waves) -> None:
    """Do the change, its SE, z and both p-values (normal, t with 18 df) match svycontrast?"""
    r, diff = raw("e")["weighted_cluster"], weighted_waves[2]
    assert close(diff.estimate, r["diff"]) and close(diff.se, r["se_diff"]) and close(diff.statistic, r["z"])
    assert close(diff.extra["p_value_normal"], r["p_normal"]) and close(diff.p_value, r["p_t_degf"])
    assert diff.df == r["degf"] and diff.method == "t"


@pytest.mark.parametrize("method", ["bonferroni", "holm", "hochberg", "hommel", "BH", "BY"])
def test_case_h_adjustments(method: str) -> None:
    """Does each adjustment reproduce p.adjust?"""
    r = raw("h")
    assert adjust_pvalues(r["p"], method) == pytest.approx(r[method], rel=REL)


def test_adjust_keeps_missing_out() -> None:
    """Are NaN p-values kept as NaN and left out of the count, as in R?"""
    adjusted = adjust_pvalues([0.01, math.nan, 0.04], "bonferroni")
    assert adjusted[0] == pytest.approx(0.02) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.08)


def test_adjust_refuses_unknown_method() -> None:
    """Is an unknown method refused instead of falling back to statsmodels' Holm–Šidák?"""
    with pytest.raises(ValueError, match="unknown adjustment"):
        adjust_pvalues([0.01], "hs")


def test_difference_by_hand() -> None:
    """Is 0.6 (SE 0.04) minus 0.5 (SE 0.03) a change of 0.1 with SE 0.05, z = 2, p = 0.0455?"""
    diff = difference(estimate(0.5, 0.03), estimate(0.6, 0.04))
    assert (diff.estimate, diff.se, diff.statistic) == pytest.approx((0.1, 0.05, 2.0))
    assert diff.p_value == pytest.approx(0.04550026) and diff.significant and diff.df is None


def test_difference_with_df_uses_t() -> None:
    """With design df on both sides, are the p-value and interval from t(df1 + df2)?"""
    diff = difference(estimate(0.5, 0.03, df=4), estimate(0.6, 0.04, df=5))
    assert diff.df == 9 and diff.p_value == pytest.approx(0.07655282, rel=1e-6)
    assert diff.ci_high - diff.estimate == pytest.approx(2.262157 * 0.05, rel=1e-6)


def test_difference_is_json_ready() -> None:
    """Does a difference serialise with n = n1 + n2 and the significance verdict?"""
    data = json.loads(json.dumps(compare_counts(0, 10, 0, 10).to_dict()))
    assert data["n"] == 20 and data["p_value"] is None and data["significant"] is False


def test_rank_units() -> None:
    """Are ties ranked alike, small units unranked, and near-leaders flagged?"""
    table = rank_units({"A": estimate(0.90, 0.02), "B": estimate(0.88, 0.02), "C": estimate(0.70, 0.02),
                        "D": estimate(0.70, 0.02), "E": estimate(0.99, 0.01, n=12)})
    assert [(u.unit, u.rank) for u in table] == [("A", 1), ("B", 2), ("C", 3), ("D", 3), ("E", None)]
    assert table[1].flags == (NOT_DIFFERENT,) and table[1].ci_overlaps_leader
    assert table[2].flags == () and table[2].p_adjusted_vs_leader < 0.05
    assert table[4].status == INSUFFICIENT and table[4].p_value_vs_leader is None
    assert table[2].p_adjusted_vs_leader == pytest.approx(3 * table[2].p_value_vs_leader)
    assert json.loads(json.dumps([u.to_dict() for u in table]))[1]["flags"] == [NOT_DIFFERENT]


def test_rank_units_lower_is_better() -> None:
    """With lower_is_better, does the smallest estimate lead?"""
    table = rank_units({"A": estimate(0.2, 0.01), "B": estimate(0.1, 0.01)}, higher_is_better=False)
    assert [(u.unit, u.rank) for u in table] == [("B", 1), ("A", 2)]


def test_compare_groups_srs_by_hand() -> None:
    """Without a design, is the group difference's SE the with-replacement SRS one?"""
    frame = pd.DataFrame({"y": [1, 0, 1, 1, 0, 0, 1, 0], "g": list("aaaabbbb")})
    (diff,) = compare_groups(frame, "y", "g", pairwise=True)
    variance = 8 / 7 * (0.75 * 0.25 / 4 + 0.25 * 0.75 / 4)
    assert diff.estimate == pytest.approx(-0.5) and diff.se == pytest.approx(math.sqrt(variance))
    assert diff.df == 7 and (diff.extra["group1"], diff.extra["group2"]) == ("a", "b")


def test_compare_groups_against_the_rest() -> None:
    """Is each stratum compared with the other two, with Holm-adjusted p-values?"""
    frame = load_csv("case_b_design")
    design = Design.from_frame(frame, weight="w", strata="stratum", cluster="psu")
    results = compare_groups(frame, "y", "stratum", design)
    assert [r.extra["group2"] for r in results] == ["S1", "S2", "S3"]
    assert all(r.p_adjusted >= r.p_value and r.df == 9 and r.n1 + r.n2 == 60 for r in results)
    assert np.isclose(results[0].estimate2, proportion(frame["y"].where(frame["stratum"] == "S1"), design).estimate)
