"""Scales: R's cases f (psych::alpha) and g (polr, svyolr) plus small hand-checked sets."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.design import Design
from surveyapp.analysis.scales import cronbach_alpha, driver_analysis
from tests.analysis.reference import load_csv, raw

ITEMS = ["q1", "q2", "q3", "q4"]


@pytest.fixture(scope="module")
def case_f() -> pd.DataFrame:
    """case_f_scale.csv: four 1-5 items, n = 20."""
    return load_csv("case_f_scale")


@pytest.fixture(scope="module")
def case_b() -> pd.DataFrame:
    """case_b_design.csv with a 0/1 ``male`` column (polr's sexM)."""
    frame = load_csv("case_b_design")
    return frame.assign(male=(frame["sex"] == "M").astype(float))


def close(expected: float, rel: float = 1e-6):
    """pytest.approx at the reference tolerance (1e-6; 1e-5 for model fits)."""
    return pytest.approx(expected, rel=rel)


def cluster(frame: pd.DataFrame) -> Design:
    """Case b's stratified cluster design."""
    return Design.from_frame(frame, weight="w", strata="stratum", cluster="psu")


# --- Cronbach's alpha ---------------------------------------------------------------------------

def test_case_f_alpha(case_f):
    """Do raw and standardised alpha, alpha-if-deleted and r.drop equal psych::alpha?"""
    expected = raw("f")
    result = cronbach_alpha(case_f, ITEMS)
    assert (result.k, result.n) == (4, 20)
    assert result.alpha == close(expected["alpha_raw_formula"])
    assert result.alpha == close(expected["psych_raw_alpha"])
    assert result.standardized_alpha == close(expected["psych_std_alpha"])
    for item in ITEMS:
        assert result.alpha_if_deleted[item] == close(expected["alpha_if_dropped"][item])
        assert result.item_rest_correlation[item] == close(expected["item_total_r_drop"][item])
    assert result.caution is None


def test_alpha_by_hand():
    """a = 1,2,3,4; b = 2,1,4,3: var 5/3 each, var(sum) 16/3, so alpha = 2(1 - 10/16) = 0.75; r = 0.6."""
    result = cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3]}), ["a", "b"])
    assert result.alpha == pytest.approx(0.75, rel=1e-12)
    assert result.mean_inter_item_correlation == pytest.approx(0.6, rel=1e-12)
    assert result.standardized_alpha == pytest.approx(2 * 0.6 / 1.6, rel=1e-12)
    assert np.isnan(result.alpha_if_deleted["a"])  # one item left: undefined
    assert result.to_dict()["alpha_if_deleted"]["a"] is None


def test_alpha_caution_codes():
    """Uncorrelated items give alpha 0 (low); identical items give 1 (redundant)."""
    low = cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [3, 1, 4, 2]}), ["a", "b"])
    high = cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 4]}), ["a", "b"])
    assert low.alpha == pytest.approx(0.0, abs=1e-12) and low.caution == "low_reliability"
    assert high.alpha == pytest.approx(1.0) and high.caution == "possible_redundancy"


def test_alpha_uses_complete_cases(case_f):
    """Rows missing any item are left out, so the result equals the one without them."""
    padded = pd.concat([case_f, pd.DataFrame({"q1": [np.nan, 5], "q2": [1, np.nan], "q3": [2, 2], "q4": [3, 3]})],
                       ignore_index=True)
    assert cronbach_alpha(padded, ITEMS) == cronbach_alpha(case_f, ITEMS)


def test_alpha_reads_categoricals_by_position(case_f):
    """An ordered categorical of codes "1".."5" counts as 1..5."""
    coded = case_f[ITEMS].apply(lambda s: pd.Categorical(s.astype(str), categories=list("12345"), ordered=True))
    assert cronbach_alpha(coded, ITEMS).alpha == pytest.approx(cronbach_alpha(case_f, ITEMS).alpha, rel=1e-12)


def test_alpha_needs_two_items(case_f):
    """One item has no internal consistency."""
    with pytest.raises(ValueError):
        cronbach_alpha(case_f, ["q1"])


# --- proportional-odds driver model -------------------------------------------------------------

def test_case_g_polr(case_b):
    """Unweighted: coefficient, SE, thresholds with SEs and logLik equal MASS::polr."""
    expected = raw("g")
    result = driver_analysis(case_b, "likert", ["male"], better="higher")
    polr = expected["polr"]
    (male,) = result.drivers
    assert male.coefficient == close(polr["coef_sexM"], 1e-5)
    assert male.se == close(polr["se_sexM"], 1e-5)
    for label, value in polr["zeta"].items():
        assert result.thresholds[label] == close(value, 1e-5)
        assert result.threshold_se[label] == close(polr["zeta_se"][label], 1e-5)
    assert result.log_likelihood == close(polr["logLik"], 1e-5)
    assert result.n == polr["nobs"]
    assert result.method == "ml" and result.df is None and result.converged


def test_case_g_svyolr(case_b):
    """Under the cluster design: coefficient, linearised SE and thresholds equal survey::svyolr."""
    expected = raw("g")
    result = driver_analysis(case_b, "likert", ["male"], cluster(case_b), better="higher")
    svyolr = expected["svyolr_cluster"]
    (male,) = result.drivers
    assert male.coefficient == close(svyolr["coef_sexM"], 1e-5)
    assert male.se == close(svyolr["se_sexM"], 1e-5)
    for label, value in svyolr["zeta"].items():
        assert result.thresholds[label] == close(value, 1e-5)
    assert result.method == "design" and result.df == 9 and result.log_likelihood is None
    assert result.converged and result.notes == ()


def test_odds_ratio_and_test_follow_from_the_coefficient(case_b):
    """OR = exp(beta); z = beta/SE with a normal p without a design, t(9) under it."""
    from scipy import stats
    (plain,) = driver_analysis(case_b, "likert", ["male"], better="higher").drivers
    assert plain.odds_ratio == pytest.approx(np.exp(plain.coefficient))
    assert plain.p_value == pytest.approx(2 * stats.norm.sf(abs(plain.coefficient / plain.se)))
    assert plain.ci_low == pytest.approx(np.exp(plain.coefficient - stats.norm.ppf(0.975) * plain.se))
    (design,) = driver_analysis(case_b, "likert", ["male"], cluster(case_b), better="higher").drivers
    assert design.p_value == pytest.approx(2 * stats.t.sf(abs(design.statistic), 9))


def test_orientation_when_low_codes_are_better(case_b):
    """Recoding 1=best..5=worst and saying so gives back the same model."""
    reversed_codes = case_b.assign(likert=6 - case_b["likert"], female=1 - case_b["male"])
    original = driver_analysis(case_b, "likert", ["male"], better="higher")
    flipped = driver_analysis(reversed_codes, "likert", ["female"], better="lower")
    assert flipped.levels == (5, 4, 3, 2, 1)
    assert flipped.drivers[0].coefficient == pytest.approx(original.drivers[0].coefficient, rel=1e-6)
    assert list(flipped.thresholds) == ["5|4", "4|3", "3|2", "2|1"]


def test_orientation_of_the_outcome_alone_flips_the_sign(case_b):
    """Calling the low codes better reverses the outcome, so the coefficient changes sign."""
    higher = driver_analysis(case_b, "likert", ["male"], better="higher").drivers[0]
    lower = driver_analysis(case_b, "likert", ["male"], better="lower", items_better="higher").drivers[0]
    assert lower.coefficient == pytest.approx(-higher.coefficient, rel=1e-6)
    assert lower.se == pytest.approx(higher.se, rel=1e-5)


def test_ordered_categorical_outcome(case_b):
    """An ordered categorical outcome is modelled in category order."""
    coded = case_b.assign(likert=pd.Categorical(case_b["likert"].astype(str), categories=list("12345"),
                                                ordered=True))
    result = driver_analysis(coded, "likert", ["male"], better="higher")
    plain = driver_analysis(case_b, "likert", ["male"], better="higher")
    assert result.levels == ("1", "2", "3", "4", "5")
    assert result.drivers[0].coefficient == pytest.approx(plain.drivers[0].coefficient, rel=1e-9)


def test_importance_ranking(case_b):
    """Rank 1 goes to the largest |coefficient x SD of the item|."""
    result = driver_analysis(case_b, "likert", ["male", "score"], better="higher")
    by_name = {driver.item: driver for driver in result.drivers}
    for driver in result.drivers:
        sd = case_b[driver.item].std(ddof=1)
        assert driver.standardized == pytest.approx(driver.coefficient * sd, rel=1e-12)
    strongest = max(result.drivers, key=lambda d: abs(d.standardized))
    assert strongest.rank == 1
    assert sorted(d.rank for d in by_name.values()) == [1, 2]


def test_missing_values_under_a_design_leave_the_fit_unchanged(case_b):
    """Rows with a missing outcome drop out of the fit but keep their PSU (zero scores)."""
    extra = case_b.iloc[::5].assign(likert=np.nan)
    padded = pd.concat([case_b, extra], ignore_index=True)
    plain = driver_analysis(case_b, "likert", ["male"], cluster(case_b), better="higher")
    with_na = driver_analysis(padded, "likert", ["male"], cluster(padded), better="higher")
    assert with_na.n == 60
    assert with_na.drivers[0].coefficient == pytest.approx(plain.drivers[0].coefficient, rel=1e-9)
    assert with_na.drivers[0].se == pytest.approx(plain.drivers[0].se, rel=1e-6)


def test_non_convergence_is_reported_not_warned():
    """A perfectly separating item never converges: the result says so and no warning escapes."""
    frame = pd.DataFrame({"y": [1, 1, 1, 2, 2, 2, 3, 3, 3], "x": [1, 1, 1, 2, 2, 2, 3, 3, 3]})
    result = driver_analysis(frame, "y", ["x"], better="higher")
    assert not result.converged
    assert result.notes[0].startswith("not_converged")
    json.dumps(result.to_dict(), allow_nan=False)


def test_bad_arguments_are_refused(case_b):
    """The direction must be stated correctly and every item must vary."""
    with pytest.raises(ValueError):
        driver_analysis(case_b, "likert", ["male"], better="up")
    with pytest.raises(ValueError):
        driver_analysis(case_b.assign(one=1.0), "likert", ["one"], better="higher")


def test_alpha_carries_feldts_interval():
    """Does alpha come with Feldt's interval, which narrows as the sample grows?"""
    from surveyapp.analysis.scales import feldt_interval

    low, high = feldt_interval(0.78, 20, 4)
    assert low < 0.78 < high < 1
    wide, narrow = (feldt_interval(0.78, n, 4) for n in (20, 200))
    assert narrow[1] - narrow[0] < wide[1] - wide[0]
    # (1 - alpha_hat) / (1 - alpha) ~ F(n - 1, (n - 1)(k - 1)): the bounds invert the F quantiles
    from scipy import stats
    assert (1 - low) / (1 - 0.78) == pytest.approx(stats.f.ppf(0.975, 19, 57))
