"""Post-stratification, raking, trimming and calibrated SEs: R's case c plus hand-checked frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.reference import load_csv, number, raw
from surveyapp.analysis.design import Design
from surveyapp.analysis.estimates import proportion
from surveyapp.analysis.weighting import (calibrated_mean, calibrated_proportion, calibrated_total,
                                          margins_from_frame, poststratify, rake, trim, weight_summary)

RAKE_REL = 1e-5


def close(value: float, wanted: object, rel: float = 1e-6) -> bool:
    """Equal to an R value (r_raw.json) within a relative tolerance."""
    return value == pytest.approx(number(wanted), rel=rel)


@pytest.fixture(scope="module")
def case_c() -> pd.DataFrame:
    """case_c_rake.csv: 40 respondents, base weight 250."""
    return load_csv("case_c_rake")


@pytest.fixture(scope="module")
def margins() -> dict:
    """The population margins of case c (sex, agegrp) read from the margins CSV."""
    return margins_from_frame(load_csv("case_c_population_margins"))


@pytest.fixture(scope="module")
def raked(case_c: pd.DataFrame, margins: dict):
    """Case c raked on sex and agegrp with R's settings."""
    return rake(case_c, "w0", margins, max_iter=200, tol=1e-12)


def test_margins_csv(margins: dict) -> None:
    """Is the margins CSV read into {margin: {level: total}}?"""
    assert margins == {"sex": {"F": 5200, "M": 4800}, "agegrp": {"18-34": 2800, "35-54": 3600, "55+": 3600}}


def test_case_c_unadjusted(case_c: pd.DataFrame) -> None:
    """Does the base-weighted proportion match svymean on the unadjusted design?"""
    est = proportion(case_c["y"], Design.from_frame(case_c, weight="w0"))
    assert close(est.estimate, raw("c")["unadjusted"]["mean"]) and close(est.se, raw("c")["unadjusted"]["se"])


def test_case_c_poststratified(case_c: pd.DataFrame, margins: dict) -> None:
    """Do post-stratified weights, mean and calibration-aware SE match postStratify?"""
    r = raw("c")["poststratified_sex"]
    weights = poststratify(case_c, "w0", "sex", margins["sex"])
    est = calibrated_proportion(case_c, "y", "w0", weights, ["sex"])
    assert close(weights[case_c["sex"] == "F"].iloc[0], r["weight_F"])
    assert close(weights[case_c["sex"] == "M"].iloc[0], r["weight_M"])
    assert close(est.estimate, r["mean"]) and close(est.se, r["se"])


def test_case_c_rake_converges(raked) -> None:
    """Does IPF converge well within R's 200 sweeps?"""
    assert raked.converged and raked.iterations < 20 and raked.max_error < 1e-12


@pytest.mark.parametrize("cell", ["1", "2", "3", "4", "5", "6"])
def test_case_c_cell_weights(case_c: pd.DataFrame, raked, cell: str) -> None:
    """Is each sex x agegrp cell weight the one R's rake gives?"""
    r = raw("c")["raked"]["cell_weights"][cell]
    rows = raked.weights[(case_c["sex"] == r["sex"]) & (case_c["agegrp"] == r["agegrp"])]
    assert rows.nunique() == 1 and close(rows.iloc[0], r["weight"], RAKE_REL)


@pytest.mark.parametrize("margin, check", [("sex", "margin_check_sex"), ("agegrp", "margin_check_age")])
def test_case_c_margins_met(case_c: pd.DataFrame, raked, margin: str, check: str) -> None:
    """Do the raked weights add up to the population margins?"""
    sums = raked.weights.groupby(case_c[margin]).sum()
    for level, wanted in raw("c")["raked"][check].items():
        assert close(sums[level], wanted, RAKE_REL)


@pytest.mark.parametrize("key", ["raked", "calibrate_raking"])
def test_case_c_raked_estimate(case_c: pd.DataFrame, raked, key: str) -> None:
    """Does the raked proportion have R's calibration-aware SE (0.0769738), for rake and calibrate?"""
    r = raw("c")[key]
    est = calibrated_proportion(case_c, "y", "w0", raked.weights, ["sex", "agegrp"])
    assert close(est.estimate, r["mean"], RAKE_REL) and close(est.se, r["se"], RAKE_REL)


def test_case_c_raked_normal_interval_and_total(case_c: pd.DataFrame, raked) -> None:
    """Do the normal interval and the raked total with its SE match R?"""
    r = raw("c")["raked"]
    est = calibrated_mean(case_c, "y", "w0", raked.weights, ["sex", "agegrp"], df=math.inf)
    tot = calibrated_total(case_c, "y", "w0", raked.weights, ["sex", "agegrp"])
    assert close(est.ci_low, r["ci_normal"]["lower"], RAKE_REL)
    assert close(est.ci_high, r["ci_normal"]["upper"], RAKE_REL)
    assert close(tot.estimate, r["total"], RAKE_REL) and close(tot.se, r["total_se"], RAKE_REL)


def test_case_c_weight_summary(raked) -> None:
    """Do the Kish deff, minimum and maximum of the raked weights match?"""
    r, summary = raw("c")["raked"], weight_summary(raked.weights)
    assert close(summary["kish_deff"], r["kish_deff_weights"], RAKE_REL)
    assert close(summary["min"], r["weight_min"], RAKE_REL) and close(summary["max"], r["weight_max"], RAKE_REL)
    assert summary["sum"] == pytest.approx(10000)


def test_naive_se_differs(case_c: pd.DataFrame, raked) -> None:
    """Does treating raked weights as fixed give the README's wrong 0.0827 instead?"""
    naive = proportion(case_c["y"], Design(raked.weights.to_numpy()))
    assert naive.se == pytest.approx(0.0827443, rel=1e-5)


# --- hand-checked frames ------------------------------------------------------------------------

SMALL = pd.DataFrame({"sex": ["F", "F", "M", "M", "M"], "age": [1, 2, 1, 2, 2], "y": [1, 0, 1, None, 0]})


def test_poststratify_cells_by_hand() -> None:
    """Are weights scaled to 60/2 for F and 40/3 for M, from a dict or a frame?"""
    from_dict = poststratify(SMALL, None, "sex", {"F": 60, "M": 40})
    from_frame = poststratify(SMALL, None, ["sex"], pd.DataFrame({"sex": ["F", "M"], "Freq": [60, 40]}))
    assert list(from_dict) == pytest.approx([30, 30, 40 / 3, 40 / 3, 40 / 3])
    assert list(from_frame) == pytest.approx(list(from_dict))


def test_poststratify_crossed_cells() -> None:
    """Do crossed cells take tuple keys, and integer levels match their string form?"""
    population = {("F", "1"): 10, ("F", "2"): 20, ("M", "1"): 30, ("M", "2"): 40}
    weights = poststratify(SMALL, None, ["sex", "age"], population)
    assert list(weights) == pytest.approx([10, 20, 30, 20, 20])


def test_rake_by_hand() -> None:
    """Does raking a 2 x 2 design with one row per cell solve the margins exactly?"""
    frame = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["u", "v", "u", "v"]})
    result = rake(frame, None, {"a": {"x": 30, "y": 70}, "b": {"u": 50, "v": 50}})
    assert result.converged
    assert result.weights.groupby(frame["a"]).sum().tolist() == pytest.approx([30, 70])
    assert result.weights.groupby(frame["b"]).sum().tolist() == pytest.approx([50, 50])


def test_calibrated_estimate_with_missing_answers() -> None:
    """Does a missing answer leave the base n but keep its row in the calibration?"""
    weights = poststratify(SMALL, None, "sex", {"F": 60, "M": 40})
    est = calibrated_proportion(SMALL, "y", None, weights, ["sex"], ci="mean")
    assert est.n == 4 and est.estimate == pytest.approx((30 + 40 / 3) / (60 + 80 / 3))
    assert est.se > 0


@pytest.mark.parametrize("margins, message", [
    ({"sex": {"F": 60}, "age": {"1": 30, "2": 30}}, "margin 'sex': level 'M' occurs in the data"),
    ({"sex": {"F": 60, "M": 40}, "age": {"1": 30, "2": 30}}, "margin totals disagree"),
    ({"sex": {"F": 60, "M": 40, "X": 5}, "age": {"1": 50, "2": 55}},
     "margin 'sex': level 'X' has a population total but no respondents"),
    ({"sex": {"F": 60, "M": 0}, "age": {"1": 30, "2": 30}}, "level 'M' needs a positive population total"),
    ({"region": {"N": 100}}, "margin 'region' is not a column"),
])
def test_rake_errors_name_margin_and_level(margins: dict, message: str) -> None:
    """Are bad margins refused with a message naming the margin and the level?"""
    with pytest.raises(ValueError, match=message):
        rake(SMALL, None, margins)


def test_missing_weighting_variable_is_refused() -> None:
    """Is a missing value in a weighting variable an error rather than a silently dropped row?"""
    frame = SMALL.assign(sex=["F", None, "M", "M", "M"])
    with pytest.raises(ValueError, match="'sex' has 1 missing"):
        rake(frame, None, {"sex": {"F": 60, "M": 40}})


def test_rake_reports_non_convergence() -> None:
    """Is a rake stopped by max_iter reported as not converged?"""
    result = rake(SMALL, None, {"sex": {"F": 60, "M": 40}, "age": {"1": 20, "2": 80}}, max_iter=1)
    assert not result.converged and result.iterations == 1 and result.max_error > 0


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame({"margin": ["sex"], "level": ["F"]}), "pop_total"),
    (pd.DataFrame({"margin": ["sex", "sex"], "level": ["F", "F"], "pop_total": [1, 2]}), "listed twice"),
])
def test_margins_csv_errors(frame: pd.DataFrame, message: str) -> None:
    """Are a missing column and a duplicated level in a margins CSV refused?"""
    with pytest.raises(ValueError, match=message):
        margins_from_frame(frame)


def test_trim_by_hand() -> None:
    """Is 5 capped at 3 and the excess 2 spread over the others (to 5/3 each), keeping the total?"""
    assert list(trim(pd.Series([1.0, 1.0, 1.0, 5.0]), upper=3)) == pytest.approx([5 / 3, 5 / 3, 5 / 3, 3])


def test_trim_relative_to_base() -> None:
    """Do ratio bounds cap each weight relative to its base weight?"""
    base = pd.Series([1.0, 1.0, 2.0, 2.0])
    trimmed = trim(pd.Series([1.0, 1.0, 2.0, 8.0]), upper=2.5, lower=0.5, relative_to=base)
    assert trimmed.sum() == pytest.approx(12) and (trimmed / base).max() <= 2.5 + 1e-12


def test_trim_refuses_impossible_bounds() -> None:
    """Is a cap too low to keep the total refused?"""
    with pytest.raises(ValueError, match="total"):
        trim(pd.Series([1.0, 1.0, 4.0]), upper=1.5)


def test_weight_summary_by_hand() -> None:
    """Are the summary figures of weights 1..4 right (Kish deff 1.2, effective n 10/3)?"""
    summary = weight_summary([1.0, 2.0, 3.0, 4.0])
    assert (summary["n"], summary["sum"], summary["mean"], summary["ratio"]) == (4, 10.0, 2.5, 4.0)
    assert summary["kish_deff"] == pytest.approx(1.2) and summary["effective_n"] == pytest.approx(10 / 3)


@st.composite
def rake_problems(draw):
    """A small frame covering every cell of two factors, base weights and agreeing margins."""
    a_levels, b_levels = draw(st.integers(2, 3)), draw(st.integers(2, 3))
    cells = [(f"a{i}", f"b{j}") for i in range(a_levels) for j in range(b_levels)]
    extra = draw(st.lists(st.sampled_from(cells), max_size=8))
    frame = pd.DataFrame(cells + extra, columns=["a", "b"])
    frame["w"] = draw(st.lists(st.floats(0.5, 5), min_size=len(frame), max_size=len(frame)))
    shares_a = draw(st.lists(st.floats(0.1, 1), min_size=a_levels, max_size=a_levels))
    shares_b = draw(st.lists(st.floats(0.1, 1), min_size=b_levels, max_size=b_levels))
    margins = {"a": {f"a{i}": 1000 * s / sum(shares_a) for i, s in enumerate(shares_a)},
               "b": {f"b{j}": 1000 * s / sum(shares_b) for j, s in enumerate(shares_b)}}
    return frame, margins


@settings(max_examples=40, deadline=None)
@given(rake_problems())
def test_raked_weights_reproduce_margins(problem) -> None:
    """Property: with every cell filled, do raked weights reproduce each target margin?"""
    frame, margins = problem
    result = rake(frame, "w", margins, max_iter=2000, tol=1e-10)
    assert result.converged
    for name, targets in margins.items():
        sums = result.weights.groupby(frame[name]).sum()
        for level, wanted in targets.items():
            assert sums[level] == pytest.approx(wanted, rel=1e-9)
