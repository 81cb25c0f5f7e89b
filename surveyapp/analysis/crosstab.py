"""Two-way tables: counts, percentages, a test of association and cell residuals.

``crosstab`` tabulates two columns of a frame. Without a design the test is
Pearson's chi-squared (plus Fisher's exact test for a 2 x 2 table); with a
design it is the Rao–Scott second-order F test of R's ``svychisq`` (README
§3.4), with R's Wald and adjusted Wald tests as alternatives; all reproduce R
to 1e-9. Rows with a missing value in either column are left out; under a
design they keep their place with a weight of zero, so that the variance sees
every PSU (domain estimation).

``suppress`` hides cells with an unweighted count under a threshold for
publication (domain.md §5.2; README §5.3): the cell's values become NaN (None
in ``to_dict``), ``suppressed`` marks them, further cells are hidden so that no
hidden count can be recovered from a row or column total, and the test is
withheld because it would involve the hidden cells.

Proportions are fractions (0–1) at full precision; percentages are the
renderer's business.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from surveyapp.analysis.design import Design, linearised_covariance
from surveyapp.analysis.results import TestResult, json_ready

SPARSE_EXPECTED = 5.0


@dataclass(frozen=True)
class CrossTab:
    """A row-by-column table; every frame is indexed by row level x column level.

    ``n`` holds the unweighted counts; ``counts`` the weighted counts (equal to
    ``n`` without a design). ``proportions`` are shares of the table total,
    ``column_proportions`` shares within each column (columns sum to 1) and
    ``row_proportions`` shares within each row, all weighted under a design.
    ``row_bases``/``column_bases``/``base`` are the unweighted n of the margins.
    ``residuals`` are Haberman's adjusted standardised residuals;
    ``residuals_basis`` says which table they were computed on ("counts", or
    "weighted_rescaled_to_n" under a design: the weighted table scaled to total
    n, which ignores the design effect, so read them as descriptive).
    ``test`` is the headline test: Pearson's chi-squared, or the Rao–Scott F
    under a design. ``alternatives`` holds Fisher's exact test for an
    unweighted 2 x 2 table, or R's "Wald" and "adjWald" F tests under a
    design (for methods notes and cross-checks). ``suppressed`` is the
    mask of hidden cells (None when no suppression was applied). ``notes``
    holds codes such as "expected_below_5" and "test_withheld_suppressed_cells".
    """

    row: str
    column: str
    n: pd.DataFrame
    counts: pd.DataFrame
    proportions: pd.DataFrame
    column_proportions: pd.DataFrame
    row_proportions: pd.DataFrame
    row_totals: pd.Series
    column_totals: pd.Series
    row_bases: pd.Series
    column_bases: pd.Series
    total: float
    base: int
    residuals: pd.DataFrame
    residuals_basis: str
    test: TestResult | None
    alternatives: tuple[TestResult, ...]
    weighted: bool
    suppressed: pd.DataFrame | None = None
    suppress_below: int | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: frames as {row: {column: value}}, NaN as None."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


def crosstab(frame: pd.DataFrame, row: str, col: str, design: Design | None = None,
             suppress_below: int | None = None) -> CrossTab:
    """Tabulate ``row`` by ``col`` of ``frame``, weighted and tested under ``design`` if given.

    Levels keep the order of an ordered/categorical column (unused categories
    are dropped) and are sorted otherwise. ``suppress_below`` applies
    ``suppress`` with that threshold.
    """
    if design is not None and design.n != len(frame):
        raise ValueError(f"design has {design.n} rows but the frame has {len(frame)}")
    valid = (frame[row].notna() & frame[col].notna()).to_numpy()
    rows, cols = _codes(frame[row], valid), _codes(frame[col], valid)
    cells = _indicators(rows, cols, valid)
    n = cells.sum(axis=0).astype(int).reshape(len(cols.categories), len(rows.categories)).T
    weights = valid.astype(float) if design is None else np.where(valid, design.weights, 0.0)
    counts = (weights @ cells).reshape(n.T.shape).T
    table = _table(row, col, rows.categories, cols.categories, n, counts, design is not None)
    table = _with_tests(table, cells, weights, design, valid)
    return table if suppress_below is None else suppress(table, suppress_below)


def suppress(table: CrossTab, threshold: int = 5, complementary: bool = True) -> CrossTab:
    """``table`` with the cells whose unweighted count is under ``threshold`` hidden.

    Hidden cells become NaN in every cell frame and are True in ``suppressed``;
    margins with an unweighted base under ``threshold`` are hidden too. With
    ``complementary`` more cells (the smallest visible ones) are hidden until
    no row or column has exactly one hidden cell, which its total would give
    away. Any hidden cell withholds the tests: README §5.3 forbids tests that
    involve suppressed cells (show "—" with a footnote instead).
    """
    mask = table.n.lt(threshold).to_numpy()
    if table.suppressed is not None:
        mask |= table.suppressed.to_numpy()
    if complementary:
        mask = _complementary(mask, table.n.fillna(0).to_numpy())
    hidden = pd.DataFrame(mask, index=table.n.index, columns=table.n.columns)
    cell_frames = ("n", "counts", "proportions", "column_proportions", "row_proportions", "residuals")
    changes: dict[str, Any] = {name: getattr(table, name).mask(hidden) for name in cell_frames}
    for totals, bases in (("row_totals", "row_bases"), ("column_totals", "column_bases")):
        small = getattr(table, bases).lt(threshold)
        changes[totals] = getattr(table, totals).mask(small)
        changes[bases] = getattr(table, bases).mask(small)
    notes = table.notes
    if mask.any():
        changes.update(test=None, alternatives=())
        notes += ("test_withheld_suppressed_cells",)
    if mask.sum() > table.n.lt(threshold).to_numpy().sum():
        notes += ("complementary_suppression",)
    return replace(table, **changes, suppressed=hidden, suppress_below=threshold,
                   notes=tuple(dict.fromkeys(notes)))


def adjusted_residuals(table: np.ndarray) -> np.ndarray:
    """Haberman's adjusted standardised residuals of a two-way table of counts.

    (o - e) / sqrt(e * (1 - row total / N) * (1 - column total / N)); roughly
    N(0, 1) under independence, so |r| > 1.96 marks a cell that departs from it.
    """
    table = np.asarray(table, dtype=float)
    total = table.sum()
    row_share, col_share = table.sum(axis=1) / total, table.sum(axis=0) / total
    expected = np.outer(row_share, col_share) * total
    with np.errstate(divide="ignore", invalid="ignore"):
        return (table - expected) / np.sqrt(expected * np.outer(1 - row_share, 1 - col_share))


def pearson_test(table: np.ndarray) -> TestResult:
    """Pearson's chi-squared test of independence (no continuity correction).

    ``extra`` reports the smallest expected count and how many cells expect
    fewer than 5, where the chi-squared approximation becomes doubtful.
    """
    table = np.asarray(table, dtype=float)
    statistic, p_value, df, expected = stats.chi2_contingency(table, correction=False)
    return TestResult("pearson_chi2", float(statistic), float(p_value), float(df), None, {
        "min_expected": float(expected.min()),
        "cells_expected_below_5": int((expected < SPARSE_EXPECTED).sum()),
    })


def fisher_test(table: np.ndarray) -> TestResult:
    """Fisher's exact test (two-sided) of a 2 x 2 table; the statistic is the sample odds ratio."""
    result = stats.fisher_exact(np.asarray(table, dtype=int))
    return TestResult("fisher_exact", float(result.statistic), float(result.pvalue))


def cell_covariance(cells: np.ndarray, weights: np.ndarray, design: Design) -> tuple[np.ndarray, np.ndarray]:
    """Weighted cell proportions and their linearised covariance.

    ``cells`` is the n x (r*c) indicator matrix with rows varying fastest (R's
    order); ``weights`` the design weights, zero outside the domain.
    """
    p = weights @ cells / weights.sum()
    return p, linearised_covariance(design, weights[:, None] * (cells - p) / weights.sum())


def rao_scott_test(p: np.ndarray, covariance: np.ndarray, shape: tuple[int, int], n: int, df: int) -> TestResult:
    """The Rao–Scott second-order F test of R's ``svychisq`` (README §3.4).

    ``p`` and ``covariance`` come from ``cell_covariance``; ``n`` is the
    unweighted base and ``df`` the design degrees of freedom. ``extra``
    carries R's first-order ("Chisq") result: the unscaled X² and its p-value.
    """
    nr, nc = shape
    contrast = _interaction_contrasts(nr, nc)
    inverse_p = np.diag(np.divide(1.0, p, out=np.zeros_like(p), where=p > 0))
    srs_part = contrast.T @ inverse_p @ contrast / n
    design_part = contrast.T @ inverse_p @ covariance @ inverse_p @ contrast
    delta = np.linalg.solve(srs_part, design_part)
    x2 = pearson_test((p * n).reshape(nc, nr).T).statistic
    trace = float(np.trace(delta))
    ndf = trace ** 2 / float(np.trace(delta @ delta))
    statistic = x2 / trace
    mean_deff = trace / delta.shape[0]
    return TestResult("rao_scott_f", statistic, float(stats.f.sf(statistic, ndf, ndf * df)), ndf, ndf * df, {
        "pearson_chisq": x2,
        "chisq_df": delta.shape[0],
        "first_order_p": float(stats.chi2.sf(x2 / mean_deff, delta.shape[0])),
        "mean_design_effect": mean_deff,
        "design_df": df,
    })


def wald_tests(p: np.ndarray, covariance: np.ndarray, shape: tuple[int, int], df: int
               ) -> tuple[TestResult, TestResult]:
    """R's ``svychisq`` "Wald" and "adjWald" F tests (Koch, Freeman and Freeman).

    The Wald statistic W tests p_ij - p_i. p_.j = 0 for the first (r-1)(c-1)
    cells; "Wald" is F = W/d on (d, df), "adjWald" F = W(df-d+1)/(df d) on
    (d, df-d+1). NaN when the covariance of the gaps is singular, as it must
    be when the design has fewer degrees of freedom than d.
    """
    nr, nc = shape
    table = p.reshape(nc, nr).T
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    pick = [(i, j) for j in range(nc - 1) for i in range(nr - 1)]
    gaps = np.array([table[i, j] - rows[i] * cols[j] for i, j in pick])
    jacobian = np.array([_gap_gradient(i, j, rows, cols).T.ravel() for i, j in pick])
    gap_covariance = jacobian @ covariance @ jacobian.T
    d = len(gaps)
    full_rank = np.linalg.matrix_rank(gap_covariance) == d and df >= d
    wald = float(gaps @ np.linalg.solve(gap_covariance, gaps)) if full_rank else float("nan")
    plain, adjusted = wald / d, wald * (df - d + 1) / (df * d)
    return (TestResult("wald_f", plain, float(stats.f.sf(plain, d, df)), d, df),
            TestResult("adjusted_wald_f", adjusted, float(stats.f.sf(adjusted, d, df - d + 1)), d, df - d + 1))


def _gap_gradient(i: int, j: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """d(p_ij - p_i. p_.j)/d(p_kl) as an r x c array (totals scale: the total's derivative included)."""
    gradient = np.full((len(rows), len(cols)), rows[i] * cols[j])
    gradient[i, :] -= cols[j]
    gradient[:, j] -= rows[i]
    gradient[i, j] += 1.0
    return gradient


def _codes(values: pd.Series, valid: np.ndarray) -> pd.Categorical:
    """The valid values as a Categorical of their observed levels (category order, else sorted)."""
    kept = values.where(pd.Series(valid, index=values.index))
    return pd.Categorical(kept).remove_unused_categories()


def _indicators(rows: pd.Categorical, cols: pd.Categorical, valid: np.ndarray) -> np.ndarray:
    """n x (r*c) cell indicators, rows varying fastest (R's order); all zero for invalid rows."""
    nr = len(rows.categories)
    cells = np.zeros((len(valid), nr * len(cols.categories)))
    index = np.flatnonzero(valid)
    cells[index, rows.codes[index] + nr * cols.codes[index]] = 1.0
    return cells


def _table(row: str, col: str, row_levels: pd.Index, col_levels: pd.Index, n: np.ndarray,
           counts: np.ndarray, weighted: bool) -> CrossTab:
    """The descriptive part of a CrossTab (no tests yet)."""
    frame = (lambda values: pd.DataFrame(values, index=pd.Index(row_levels, name=row),
                                         columns=pd.Index(col_levels, name=col)))
    counts_frame = frame(counts)
    total = float(counts.sum())
    row_totals, column_totals = counts_frame.sum(axis=1), counts_frame.sum(axis=0)
    rescaled = counts / total * n.sum() if weighted else counts
    return CrossTab(
        row=row, column=col, n=frame(n), counts=counts_frame,
        proportions=counts_frame / total,
        column_proportions=counts_frame / column_totals,
        row_proportions=counts_frame.div(row_totals, axis=0),
        row_totals=row_totals, column_totals=column_totals,
        row_bases=frame(n).sum(axis=1), column_bases=frame(n).sum(axis=0),
        total=total, base=int(n.sum()),
        residuals=frame(adjusted_residuals(rescaled)),
        residuals_basis="weighted_rescaled_to_n" if weighted else "counts",
        test=None, alternatives=(), weighted=weighted,
    )


def _with_tests(table: CrossTab, cells: np.ndarray, weights: np.ndarray, design: Design | None,
                valid: np.ndarray) -> CrossTab:
    """``table`` with its tests, or a note when it has a single row or column.

    The expected-count check runs on the table the X² comes from: the counts,
    or under a design the weighted table rescaled to n.
    """
    if min(table.n.shape) < 2:
        return replace(table, notes=("degenerate_table",))
    tested = table.counts / table.total * table.base if design is not None else table.n
    pearson = pearson_test(tested.to_numpy())
    notes = ("expected_below_5",) if pearson.extra["cells_expected_below_5"] else ()
    if design is None:
        exact = (fisher_test(table.n.to_numpy()),) if table.n.shape == (2, 2) else ()
        return replace(table, test=pearson, alternatives=exact, notes=notes)
    df = design.subset(valid).degrees_of_freedom
    p, covariance = cell_covariance(cells, weights, design)
    test = rao_scott_test(p, covariance, table.n.shape, table.base, df)
    return replace(table, test=test, alternatives=wald_tests(p, covariance, table.n.shape, df), notes=notes)


def _interaction_contrasts(nr: int, nc: int) -> np.ndarray:
    """The row x column interaction columns, made orthogonal to the main effects (R's Cmat)."""
    rows, cols = np.arange(nr * nc) % nr, np.arange(nr * nc) // nr
    main = np.column_stack([np.ones(nr * nc)] + [rows == i for i in range(1, nr)]
                           + [cols == j for j in range(1, nc)]).astype(float)
    interaction = np.column_stack([(rows == i) & (cols == j)
                                   for j in range(1, nc) for i in range(1, nr)]).astype(float)
    return interaction - main @ np.linalg.lstsq(main, interaction, rcond=None)[0]


def _complementary(mask: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Hide the smallest visible cell of every row/column with exactly one hidden cell, until stable."""
    mask = mask.copy()
    changed = True
    while changed:
        changed = False
        for lines, counts in ((mask, n), (mask.T, n.T)):  # rows of a transpose are views
            for line, line_counts in zip(lines, counts):
                if line.sum() == 1 and not line.all():
                    visible = np.flatnonzero(~line)
                    line[visible[np.argmin(line_counts[visible])]] = True
                    changed = True
    return mask


def _plain(value: Any) -> Any:
    """JSON-ready form: frames and series as nested dicts keyed by str(level), NaN as None."""
    if isinstance(value, pd.DataFrame):
        return {str(r): {str(c): _plain(v) for c, v in cells.items()} for r, cells in value.iterrows()}
    if isinstance(value, pd.Series):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, TestResult):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return json_ready(value)
