"""Cross-tabulations: R's case d (Rao–Scott) plus small tables checked by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.crosstab import adjusted_residuals, crosstab, suppress
from surveyapp.analysis.design import Design
from tests.analysis.reference import load_csv, number, raw


@pytest.fixture(scope="module")
def case_b() -> pd.DataFrame:
    """case_b_design.csv: 60 respondents, 3 strata x 4 PSUs."""
    return load_csv("case_b_design")


@pytest.fixture(scope="module")
def oracle() -> dict:
    """R's case d values at full precision (r_raw.json)."""
    return raw("d")


def close(expected: float, rel: float = 1e-6):
    """pytest.approx at the reference tolerance."""
    return pytest.approx(expected, rel=rel)


def cluster(frame: pd.DataFrame) -> Design:
    """Case b's stratified cluster design."""
    return Design.from_frame(frame, weight="w", strata="stratum", cluster="psu")


def two_by_two(cells: list[list[int]]) -> pd.DataFrame:
    """One row per respondent from a 2 x 2 table of counts (rows a/b, columns p/q)."""
    rows = [(r, c) for (r, counts) in zip("ab", cells) for (c, count) in zip("pq", counts) for _ in range(count)]
    return pd.DataFrame(rows, columns=["row", "col"])


# --- case d: R's svychisq and chisq.test -------------------------------------------------------

def test_case_d_cluster_design_rao_scott_f(case_b, oracle):
    """Does the second-order Rao–Scott F reproduce svychisq under the cluster design?"""
    test = crosstab(case_b, "sex", "opinion", cluster(case_b)).test
    expected = oracle["cluster_design"]
    assert test.name == "rao_scott_f"
    assert test.statistic == close(expected["F"]["statistic"])
    assert test.df == close(expected["F"]["parameter"]["ndf"])
    assert test.ddf == close(expected["F"]["parameter"]["ddf"])
    assert test.p_value == close(expected["F"]["p_value"])
    assert test.extra["pearson_chisq"] == close(expected["Chisq"]["statistic"])
    assert test.extra["first_order_p"] == close(expected["Chisq"]["p_value"])
    assert test.extra["chisq_df"] == expected["Chisq"]["parameter"]["df"]
    assert test.extra["design_df"] == 9


def test_case_d_wald_and_adjusted_wald(case_b, oracle):
    """Are the alternatives svychisq's statistic='Wald' and 'adjWald'?"""
    wald, adjusted = crosstab(case_b, "sex", "opinion", cluster(case_b)).alternatives
    for test, key in ((wald, "Wald"), (adjusted, "adjWald")):
        expected = oracle["cluster_design"][key]
        assert test.statistic == close(number(expected["statistic"]))
        assert test.p_value == close(number(expected["p_value"]))
        assert (test.df, test.ddf) == (expected["parameter"]["ndf"], expected["parameter"]["ddf"])


def test_case_d_stratified_design_rao_scott_f(case_b, oracle):
    """Does it reproduce svychisq under the stratified (unclustered) design?"""
    design = Design.from_frame(case_b, weight="w", strata="stratum")
    test = crosstab(case_b, "sex", "opinion", design).test
    expected = oracle["stratified_design"]
    assert test.statistic == close(expected["F"]["statistic"])
    assert test.df == close(expected["F"]["parameter"]["ndf"])
    assert test.ddf == close(expected["F"]["parameter"]["ddf"])
    assert test.p_value == close(expected["F"]["p_value"])
    assert test.extra["pearson_chisq"] == close(expected["Chisq"]["statistic"])
    assert test.extra["first_order_p"] == close(expected["Chisq"]["p_value"])


def test_case_d_weighted_table(case_b, oracle):
    """Are the weighted cells svytable's, with shares of the weighted totals?"""
    table = crosstab(case_b, "sex", "opinion", cluster(case_b))
    for cell in oracle["weighted_table"].values():
        assert table.counts.loc[cell["sex"], cell["opinion"]] == close(cell["Freq"])
    assert table.total == 7000.0
    assert table.column_proportions.loc["F", "agree"] == pytest.approx(2150 / 3500, rel=1e-12)
    assert table.row_proportions.loc["M", "disagree"] == pytest.approx(1000 / 3000, rel=1e-12)
    assert table.proportions.loc["F", "neutral"] == pytest.approx(1400 / 7000, rel=1e-12)
    assert table.residuals_basis == "weighted_rescaled_to_n"
    assert table.weighted


def test_case_d_unweighted_pearson(case_b, oracle):
    """Without a design, is the test chisq.test(correct=FALSE) on the plain counts?"""
    table = crosstab(case_b, "sex", "opinion")
    expected = oracle["unweighted_pearson"]
    assert table.test.name == "pearson_chi2"
    assert table.test.statistic == close(expected["statistic"])
    assert table.test.p_value == close(expected["p_value"])
    assert table.test.df == expected["df"]
    assert table.alternatives == ()  # Fisher only for 2 x 2
    assert table.notes == ()


def test_weighted_residuals_use_the_table_rescaled_to_n(case_b):
    """Under a design the residuals are Haberman's on the weighted table scaled to the unweighted n."""
    table = crosstab(case_b, "sex", "opinion", cluster(case_b))
    rescaled = table.counts.to_numpy() / 7000 * 60
    assert np.allclose(table.residuals.to_numpy(), adjusted_residuals(rescaled), rtol=1e-12)


def test_wald_is_undefined_with_too_few_degrees_of_freedom(case_b):
    """Two PSUs (df 1) cannot support a 2-df Wald test; the Rao–Scott F still runs."""
    few = case_b[case_b["stratum"] == "S1"].iloc[:10].reset_index(drop=True)
    table = crosstab(few, "sex", "opinion", Design.from_frame(few, weight="w", cluster="psu"))
    assert table.test.extra["design_df"] == 1 and np.isfinite(table.test.p_value)
    assert all(np.isnan(test.statistic) for test in table.alternatives)


def test_unweighted_counts_and_bases(case_b):
    """Are n, margins and bases the unweighted counts, with levels sorted?"""
    table = crosstab(case_b, "sex", "opinion", cluster(case_b))
    assert table.n.to_numpy().tolist() == [[20, 4, 10], [9, 9, 8]]
    assert list(table.n.columns) == ["agree", "disagree", "neutral"]
    assert table.row_bases.to_dict() == {"F": 34, "M": 26}
    assert table.column_bases.to_dict() == {"agree": 29, "disagree": 13, "neutral": 18}
    assert table.base == 60


# --- hand-checked tables -----------------------------------------------------------------------

def test_two_by_two_by_hand():
    """[[10, 20], [30, 40]]: expected [[12, 18], [28, 42]], X² = 4(1/12+1/18+1/28+1/42) = 50/63."""
    table = crosstab(two_by_two([[10, 20], [30, 40]]), "row", "col")
    assert table.test.statistic == pytest.approx(50 / 63, rel=1e-12)
    assert table.test.df == 1
    assert table.test.p_value == pytest.approx(math.erfc(math.sqrt(50 / 63 / 2)), rel=1e-12)
    # Adjusted residual: -2 / sqrt(12 * (1 - 30/100) * (1 - 40/100)) = -2 / sqrt(5.04); in a 2 x 2, ±sqrt(X²).
    assert table.residuals.loc["a", "p"] == pytest.approx(-2 / math.sqrt(5.04), rel=1e-12)
    assert np.allclose(np.abs(table.residuals.to_numpy()), math.sqrt(50 / 63))
    assert table.column_proportions.loc["a", "q"] == pytest.approx(20 / 60)
    assert table.row_proportions.loc["b", "p"] == pytest.approx(30 / 70)
    assert table.test.extra["min_expected"] == pytest.approx(12.0)
    assert table.residuals_basis == "counts"


def test_fisher_exact_and_sparse_flag():
    """[[3, 0], [0, 3]]: one-sided P = 1/C(6,3) = 1/20, two-sided 0.1; every expected count 1.5 < 5."""
    table = crosstab(two_by_two([[3, 0], [0, 3]]), "row", "col")
    (exact,) = table.alternatives
    assert exact.name == "fisher_exact"
    assert exact.p_value == pytest.approx(0.1, rel=1e-12)
    assert table.test.extra["min_expected"] == pytest.approx(1.5)
    assert table.test.extra["cells_expected_below_5"] == 4
    assert "expected_below_5" in table.notes


def test_adjusted_residual_of_a_three_column_table():
    """Cell (F, agree) of [[20, 4, 10], [9, 9, 8]]: e = 34*29/60, r = (20-e)/sqrt(e(1-34/60)(1-29/60))."""
    expected = 34 * 29 / 60
    by_hand = (20 - expected) / math.sqrt(expected * (1 - 34 / 60) * (1 - 29 / 60))
    residuals = adjusted_residuals(np.array([[20, 4, 10], [9, 9, 8]]))
    assert residuals[0, 0] == pytest.approx(by_hand, rel=1e-12)
    assert residuals[:, 1].sum() == pytest.approx(0.0, abs=1e-12)  # two rows: equal and opposite


# --- missing values ----------------------------------------------------------------------------

def test_missing_values_are_left_out():
    """Do rows with NA in either variable drop out of counts and test alike?"""
    frame = two_by_two([[10, 20], [30, 40]])
    padded = pd.concat([frame, pd.DataFrame({"row": [None, "a", np.nan], "col": ["p", None, None]})],
                       ignore_index=True)
    plain, with_na = crosstab(frame, "row", "col"), crosstab(padded, "row", "col")
    assert with_na.base == 100
    assert with_na.n.equals(plain.n)
    assert with_na.test == plain.test


def test_missing_values_under_a_design_stay_in_the_variance(case_b):
    """NA rows inside existing PSUs get zero weight: the Rao–Scott test is unchanged (domain style)."""
    extra = case_b.iloc[::7].copy()
    extra["opinion"] = np.nan
    padded = pd.concat([case_b, extra], ignore_index=True)
    plain = crosstab(case_b, "sex", "opinion", cluster(case_b))
    with_na = crosstab(padded, "sex", "opinion", cluster(padded))
    assert with_na.base == 60
    assert with_na.counts.equals(plain.counts)
    for field in ("statistic", "p_value", "df", "ddf"):
        assert getattr(with_na.test, field) == pytest.approx(getattr(plain.test, field), rel=1e-12)


def test_categorical_levels_keep_their_order_and_drop_unused():
    """An ordered categorical keeps its category order; categories nobody chose are not rows."""
    frame = two_by_two([[10, 20], [30, 40]])
    frame["row"] = pd.Categorical(frame["row"], categories=["b", "z", "a"], ordered=True)
    table = crosstab(frame, "row", "col")
    assert list(table.n.index) == ["b", "a"]
    assert table.n.loc["b", "p"] == 30


def test_design_must_match_the_frame(case_b):
    """A design of another length is refused."""
    with pytest.raises(ValueError):
        crosstab(case_b, "sex", "opinion", Design.srs(10))


def test_single_column_table_has_no_test():
    """With one column there is nothing to test."""
    table = crosstab(pd.DataFrame({"row": ["a", "b", "a"], "col": ["p", "p", "p"]}), "row", "col")
    assert table.test is None and table.notes == ("degenerate_table",)


# --- small-cell suppression --------------------------------------------------------------------

def test_suppression_hides_small_cells_their_complements_and_the_test(case_b):
    """n = [[20, 4, 10], [9, 9, 8]] at 5: (F, disagree) is primary; row F and two columns force three more."""
    table = crosstab(case_b, "sex", "opinion", cluster(case_b), suppress_below=5)
    assert table.suppressed.to_numpy().tolist() == [[False, True, True], [False, True, True]]
    assert table.n.loc["F", "agree"] == 20
    assert np.isnan(table.n.loc["F", "disagree"]) and np.isnan(table.counts.loc["M", "neutral"])
    assert np.isnan(table.residuals.loc["F", "disagree"])
    assert table.test is None
    assert table.notes == ("test_withheld_suppressed_cells", "complementary_suppression")
    assert table.row_bases.to_dict() == {"F": 34, "M": 26}  # margins of 5 or more stay
    assert table.suppress_below == 5


def test_primary_suppression_only():
    """Without complementary suppression only cells under the threshold are hidden."""
    table = suppress(crosstab(two_by_two([[10, 20], [3, 40]]), "row", "col"), 5, complementary=False)
    assert table.suppressed.to_numpy().tolist() == [[False, False], [True, False]]
    assert table.alternatives == () and table.test is None


def test_small_margins_are_hidden():
    """A margin whose unweighted base is under the threshold is hidden too."""
    table = suppress(crosstab(two_by_two([[1, 20], [2, 40]]), "row", "col"), 5)
    assert np.isnan(table.column_bases["p"]) and np.isnan(table.column_totals["p"])
    assert table.column_bases["q"] == 60


def test_nothing_to_suppress_keeps_the_test(case_b):
    """When every cell reaches the threshold the table and its test are published whole."""
    plain = crosstab(case_b, "sex", "opinion")
    table = suppress(plain, 4)
    assert not table.suppressed.to_numpy().any()
    assert table.test == plain.test
    assert table.notes == ()


def test_suppressed_table_serialises_hidden_cells_as_none(case_b):
    """to_dict gives None for hidden cells and is strict JSON."""
    data = crosstab(case_b, "sex", "opinion", cluster(case_b), suppress_below=5).to_dict()
    assert data["n"]["F"]["disagree"] is None and data["n"]["F"]["agree"] == 20
    assert data["suppressed"]["M"]["neutral"] is True
    assert data["test"] is None
    json.dumps(data, allow_nan=False)


def test_to_dict_of_a_weighted_table(case_b):
    """The test serialises with its R extras and the frames keyed by level."""
    data = crosstab(case_b, "sex", "opinion", cluster(case_b)).to_dict()
    assert data["counts"]["M"]["disagree"] == 1000.0
    assert data["test"]["name"] == "rao_scott_f" and "first_order_p" in data["test"]
    json.dumps(data, allow_nan=False)
