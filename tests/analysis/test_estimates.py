"""Proportions, means and totals: R's cases a and b, plus small samples checked by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from tests.analysis.reference import expected, leaves, load_csv, number, raw
from surveyapp.analysis.design import Design
from surveyapp.analysis.estimates import by, margin_of_error, mean, proportion, proportion_ci, total
from surveyapp.analysis.weighting import weight_summary

REL = 1e-6
COUNTS = ["main", "edge_x2_n30", "edge_x0_n20", "large_x412_n800"]
SRS_METHODS = {"wilson": "wilson", "wilson_cc": "wilson-cc", "clopper_pearson": "clopper-pearson",
               "wald": "wald", "agresti_coull": "agresti-coull", "jeffreys": "jeffreys"}
DESIGNS = {"stratified": {"strata": "stratum"}, "stratified_cluster": {"strata": "stratum", "cluster": "psu"},
           "stratified_fpc": {"strata": "stratum", "fpc": "N_h"}}
SVYCIPROP = ["logit", "xlogit", "beta", "mean", "asin"]


def close(value: float, wanted: object, rel: float = REL) -> bool:
    """Equal to an R value (r_raw.json) within a relative tolerance (absolute near 0)."""
    return value == pytest.approx(number(wanted), rel=rel, abs=1e-12)


def answers(x: int, n: int) -> pd.Series:
    """x ones and n - x zeros."""
    return pd.Series([1] * x + [0] * (n - x))


@pytest.fixture(scope="module")
def case_b() -> pd.DataFrame:
    """case_b_design.csv: 3 strata x 4 PSUs x 5 respondents."""
    return load_csv("case_b_design")


def design_b(frame: pd.DataFrame, name: str) -> Design:
    """One of case b's three designs, all weighted by w."""
    return Design.from_frame(frame, weight="w", **DESIGNS[name])


def test_expected_json_is_r_raw_rounded() -> None:
    """Is every value of expected.json for cases a–h the full-precision R value to 6 s.f.?"""
    for case in "abcdefgh":
        full = leaves(raw(case))
        for path, value in leaves(expected(case)).items():
            if isinstance(value, (int, float)) and path in full:
                assert float(f"{number(full[path]):.6g}") == pytest.approx(value, rel=1e-12, abs=1e-15), path


# --- case a: unweighted proportions -------------------------------------------------------------


@pytest.mark.parametrize("name", COUNTS)
@pytest.mark.parametrize("method", SRS_METHODS)
def test_case_a_intervals(name: str, method: str) -> None:
    """Does each SRS interval method reproduce R, edge conventions included?"""
    r = raw("a")[name]
    low, high = proportion_ci(r["x"], r["n"], SRS_METHODS[method])
    assert close(low, r[method]["lower"]) and close(high, r[method]["upper"])


@pytest.mark.parametrize("name", COUNTS)
def test_case_a_point_se_and_moe(name: str) -> None:
    """Do p, its SRS SE and the Wald margin of error match R?"""
    r = raw("a")[name]
    est = proportion(answers(r["x"], r["n"]))
    assert close(est.estimate, r["p"]) and close(est.se, r["se_srs"]) and est.n == r["n"]
    assert close(margin_of_error(r["n"], r["x"] / r["n"]), r["moe95_wald"])


def test_case_a_from_csv() -> None:
    """Does the main sample, read from its CSV, give 17/50 with R's Wilson interval?"""
    est = proportion(load_csv("case_a_unweighted")["y"])
    r = raw("a")["main"]
    assert (est.n, est.extra["count"], est.method) == (50, 17, "wilson")
    assert close(est.ci_low, r["wilson"]["lower"]) and close(est.ci_high, r["wilson"]["upper"])


# --- case b: design-based ---------------------------------------------------------------------


@pytest.mark.parametrize("name", DESIGNS)
def test_case_b_design_facts(case_b: pd.DataFrame, name: str) -> None:
    """Do the design df, n and sum of weights match R?"""
    r, est = raw("b")[name], mean(case_b["y"], design_b(case_b, name))
    assert (est.df, est.n, est.sum_weights) == (r["degf"], r["n"], r["sum_w"])


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("var", ["y", "score"])
def test_case_b_means(case_b: pd.DataFrame, name: str, var: str) -> None:
    """Do the weighted mean, linearised SE and both design effects match svymean?"""
    r, est = raw("b")[name][var], mean(case_b[var], design_b(case_b, name))
    assert close(est.estimate, r["mean"]) and close(est.se, r["se"])
    assert close(est.deff, r["deff_wor"]) and close(est.extra["deff_replace"], r["deff_replace"])


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("var", ["y", "score"])
def test_case_b_mean_intervals(case_b: pd.DataFrame, name: str, var: str) -> None:
    """Do the t(design df) and normal intervals match confint(svymean)?"""
    r, design = raw("b")[name][var], design_b(case_b, name)
    t_ci, z_ci = mean(case_b[var], design), mean(case_b[var], design, df=math.inf)
    assert close(t_ci.ci_low, r["ci_t_degf"]["lower"]) and close(t_ci.ci_high, r["ci_t_degf"]["upper"])
    assert close(z_ci.ci_low, r["ci_normal"]["lower"]) and close(z_ci.ci_high, r["ci_normal"]["upper"])


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("var", ["y", "score"])
def test_case_b_totals(case_b: pd.DataFrame, name: str, var: str) -> None:
    """Do the weighted total and its SE match svytotal?"""
    r, est = raw("b")[name][var], total(case_b[var], design_b(case_b, name))
    assert close(est.estimate, r["total"]) and close(est.se, r["total_se"])


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("method", SVYCIPROP)
def test_case_b_svyciprop(case_b: pd.DataFrame, name: str, method: str) -> None:
    """Does each design-based proportion interval match svyciprop?"""
    r, est = raw("b")[name]["svyciprop_y"][method], proportion(case_b["y"], design_b(case_b, name), ci=method)
    assert close(est.estimate, r["p"]) and close(est.ci_low, r["lower"]) and close(est.ci_high, r["upper"])


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("func", [proportion, mean])
def test_case_b_domains(case_b: pd.DataFrame, name: str, func) -> None:
    """Do domain estimates on the full design reproduce svyby, with unweighted domain n?"""
    result = by(case_b, func, "y", "sex", design=design_b(case_b, name))
    for sex, r in raw("b")[name]["by_sex_y"].items():
        est = result[sex]
        assert close(est.estimate, r["mean"]) and close(est.se, r["se"]) and est.n == r["n_unweighted"]


def test_case_b_kish() -> None:
    """Do the Kish design effect and effective n of the weights match?"""
    summary = weight_summary(load_csv("case_b_design")["w"])
    assert close(summary["kish_deff"], raw("b")["kish_deff_weights"])
    assert close(summary["effective_n"], raw("b")["kish_n_eff"])


def test_default_design_interval_is_logit(case_b: pd.DataFrame) -> None:
    """Is a weighted proportion's default interval the logit one with the design df?"""
    est = proportion(case_b["y"], design_b(case_b, "stratified_cluster"))
    assert est.method == "logit" and est.df == 9
    assert close(est.ci_low, raw("b")["stratified_cluster"]["svyciprop_y"]["logit"]["lower"])


# --- small samples checked by hand --------------------------------------------------------------


def test_missing_answers_leave_the_base() -> None:
    """Are missing answers left out of n and of p (unweighted)?"""
    est = proportion(pd.Series([True, True, False, None], dtype="boolean"))
    assert (est.n, est.estimate) == (3, pytest.approx(2 / 3))
    assert est.se == pytest.approx(math.sqrt(2 / 9 / 3))


def test_weighted_by_hand() -> None:
    """Does y = 1,0,1,0 with weights 1,1,2,2 give SE √(10/108) and deffs 10/3 and 10/9?"""
    est = proportion([1, 0, 1, 0], Design(np.array([1.0, 1.0, 2.0, 2.0])), ci="mean")
    assert est.estimate == pytest.approx(0.5) and est.se == pytest.approx(math.sqrt(10 / 108))
    assert est.deff == pytest.approx(10 / 3) and est.extra["deff_replace"] == pytest.approx(10 / 9)
    assert (est.df, est.sum_weights) == (3, 6.0)


def test_weighted_missing_is_a_domain() -> None:
    """With a design, do missing answers keep their rows (domain) rather than being dropped?"""
    design = Design(np.array([1.0, 1.0, 2.0, 2.0, 3.0]), strata=np.array(list("aabbb")))
    with_na = proportion([1, 0, 1, None, 0], design)
    domain = by(pd.DataFrame({"y": [1, 0, 1, 0, 0], "g": ["k", "k", "k", None, "k"]}), proportion, "y", "g",
                design=design)["k"]
    assert with_na.n == 4 and with_na.se == pytest.approx(domain.se)
    assert with_na.se != pytest.approx(proportion([1, 0, 1, 0], design.subset(np.array([1, 1, 1, 0, 1], bool))).se)


def test_srs_mean_by_hand() -> None:
    """Is the mean of 1..4 given with sd/√n and a t(3) interval?"""
    est = mean(pd.Series([1, 2, 3, 4, None]))
    assert (est.estimate, est.n, est.df, est.method) == (2.5, 4, 3, "t")
    assert est.se == pytest.approx(math.sqrt(5 / 3) / 2)
    assert est.ci_high - est.estimate == pytest.approx(3.182446305284263 * est.se)


def test_unweighted_domains() -> None:
    """Without a design, is each domain a simple random sample of its own valid answers?"""
    frame = pd.DataFrame({"y": [1, 0, 1, 1, None, 0], "g": ["a", "a", "b", "b", "b", None]})
    result = by(frame, proportion, "y", "g", ci="clopper-pearson")
    assert list(result) == ["a", "b"]
    assert (result["a"].n, result["a"].estimate, result["b"].n, result["b"].estimate) == (2, 0.5, 2, 1.0)
    assert result["b"].ci_high == 1.0 and result["b"].method == "clopper-pearson"


def test_zero_proportion_falls_back_to_korn_graubard() -> None:
    """Does a weighted p of 0 get a Korn–Graubard interval [0, upper] instead of an undefined logit one?"""
    est = proportion([0, 0, 0, 0], Design(np.array([1.0, 2.0, 3.0, 4.0])))
    assert est.method == "korn-graubard" and est.ci_low == 0
    assert est.ci_high == pytest.approx(proportion_ci(0, 4, "clopper-pearson")[1])


@pytest.mark.parametrize("n, deff, wanted", [(30, 1.0, 0.179), (100, 1.5, 0.120), (400, 2.0, 0.069),
                                             (1000, 1.0, 0.031)])
def test_margin_of_error_table(n: int, deff: float, wanted: float) -> None:
    """Does the MOE at p = 0.5 reproduce the README §5.2 table (to the points shown)?"""
    assert round(margin_of_error(n, deff=deff), 3) == wanted


def test_margin_of_error_finite_population() -> None:
    """Is the finite population correction √((N−n)/(N−1)) applied?"""
    assert margin_of_error(100, population=1000) == pytest.approx(margin_of_error(100) * math.sqrt(900 / 999))


def test_empty_base_is_nan() -> None:
    """Does a question nobody answered give NaN (and no warning) rather than an error?"""
    assert math.isnan(proportion([None, None]).estimate)
    assert math.isnan(proportion([None, None], Design(np.ones(2))).se)
    assert math.isnan(mean([None]).estimate)


def test_results_are_json_ready(case_b: pd.DataFrame) -> None:
    """Do estimates serialise with NaN turned into null?"""
    text = json.dumps([proportion(case_b["y"], design_b(case_b, "stratified")).to_dict(), proportion([0, 0]).to_dict()])
    assert "NaN" not in text and '"deff_replace"' in text


@pytest.mark.parametrize("call", [
    lambda: proportion([0, 2]),
    lambda: proportion([0, 1], ci="nonsense"),
    lambda: proportion([0, 1], Design(np.ones(3))),
    lambda: proportion([0, 1], Design(np.ones(2)), ci="wilson"),
    lambda: mean([0, 1], calibration=object()),
])
def test_bad_input_is_refused(call) -> None:
    """Are non-0/1 answers, unknown methods, mismatched designs and a lone calibration refused?"""
    with pytest.raises(ValueError):
        call()
