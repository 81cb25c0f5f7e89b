"""Differences between estimates, multiplicity correction and league tables of units.

Differences are always "second minus first" in the units of the estimates (proportion units:
0.04 = 4 个百分点). Significance is judged at α = 1 − level on the adjusted p-value when
there is one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from surveyapp.analysis.design import Design
from surveyapp.analysis.estimates import (answer_values, linearised_variance, mean_influence, proportion,
                                           t_quantile)
from surveyapp.analysis.results import Estimate, TestResult, record_dict

ADJUST_METHODS = {"none": None, "bonferroni": "bonferroni", "holm": "holm", "hochberg": "simes-hochberg",
                  "hommel": "hommel", "bh": "fdr_bh", "fdr": "fdr_bh", "by": "fdr_by"}
INSUFFICIENT = "insufficient_sample"
NOT_DIFFERENT = "not_significantly_different_from_leader"
LABELS = {INSUFFICIENT: "样本不足", NOT_DIFFERENT: "差异不显著"}


@dataclass(frozen=True)
class Difference:
    """estimate2 − estimate1 with its SE, interval, test statistic (z or t) and p-value."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    n1: int
    n2: int
    method: str
    level: float = 0.95
    df: float | None = None
    estimate1: float | None = None
    estimate2: float | None = None
    p_adjusted: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def significant(self) -> bool:
        """Is the (adjusted, when available) p-value below α = 1 − level?"""
        p = self.p_value if self.p_adjusted is None else self.p_adjusted
        return bool(p < 1 - self.level)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with ``n`` (= n1 + n2) and ``significant``; extra merged in."""
        return record_dict(self, n=self.n1 + self.n2, significant=self.significant)


@dataclass(frozen=True)
class RankedUnit:
    """One unit of a league table; ``rank`` is None for units with too small a sample."""

    unit: Any
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    rank: int | None
    status: str
    flags: tuple[str, ...] = ()
    ci_overlaps_leader: bool | None = None
    p_value_vs_leader: float | None = None
    p_adjusted_vs_leader: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (flags as a list)."""
        return record_dict(self)


def difference(est1: Estimate, est2: Estimate, level: float = 0.95) -> Difference:
    """est2 − est1 for independent samples: SE √(se1² + se2²).

    When both estimates carry a df (design-based or t) the interval and ``p_value`` use
    t(df1 + df2) and ``extra["p_value_normal"]`` holds the normal p; otherwise both are normal.
    """
    d, se = est2.estimate - est1.estimate, math.hypot(est1.se, est2.se)
    df = est1.df + est2.df if est1.df is not None and est2.df is not None else math.inf
    stat = _divide(d, se)
    p_normal = float(2 * stats.norm.sf(abs(stat)))
    p = p_normal if math.isinf(df) else float(2 * stats.t.sf(abs(stat), df))
    half = t_quantile(df, level) * se
    return Difference(d, se, d - half, d + half, stat, p, est1.n, est2.n, "z" if math.isinf(df) else "t",
                      level, None if math.isinf(df) else df, est1.estimate, est2.estimate,
                      extra={"p_value_normal": p_normal})


def compare_counts(x1: int, n1: int, x2: int, n2: int, level: float = 0.95) -> Difference:
    """p2 − p1 for two independent simple random samples.

    The test is the pooled score z test (= R ``prop.test(correct=FALSE)``, χ² = z²); the
    interval is the unpooled Wald interval and ``se`` its unpooled SE.
    """
    if min(n1, n2) <= 0:
        raise ValueError("both samples need at least one valid answer")
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    z = _divide(p2 - p1, math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)))
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    half = t_quantile(math.inf, level) * se
    return Difference(p2 - p1, se, p2 - p1 - half, p2 - p1 + half, z, float(2 * stats.norm.sf(abs(z))),
                      n1, n2, "pooled z (prop.test)", level, None, p1, p2, extra={"chisq": z * z})


def compare_proportions(y1: Any, y2: Any, design1: Design | None = None, design2: Design | None = None,
                        level: float = 0.95) -> Difference:
    """The change in a proportion between two independent samples (e.g. waves), 2 minus 1.

    Without designs: ``compare_counts`` on the valid answers. With either design: each
    proportion is design-based (``proportion``; a missing design means SRS) and combined by
    ``difference`` (t with df1 + df2, normal p in ``extra``).
    """
    if design1 is None and design2 is None:
        v1, v2 = answer_values(y1), answer_values(y2)
        v1, v2 = v1[~np.isnan(v1)], v2[~np.isnan(v2)]
        return compare_counts(int(v1.sum()), len(v1), int(v2.sum()), len(v2), level)
    est1 = proportion(y1, design1 or Design.srs(len(answer_values(y1))), level=level)
    est2 = proportion(y2, design2 or Design.srs(len(answer_values(y2))), level=level)
    return difference(est1, est2, level)


def binomial_test(x: int, n: int, p0: float = 0.5) -> TestResult:
    """The exact two-sided binomial test of H0: p = p0 (R ``binom.test``)."""
    result = stats.binomtest(int(x), int(n), p0)
    return TestResult("exact binomial", x / n, float(result.pvalue), extra={"p0": p0, "n": n})


def adjust_pvalues(pvalues: Sequence[float], method: str = "holm") -> list[float]:
    """p-values adjusted as R ``p.adjust``: bonferroni, holm, hochberg, hommel, BH, BY or none.

    Missing (NaN) p-values stay NaN and do not count in the number of tests, as in R.
    """
    key = method.lower()
    if key not in ADJUST_METHODS:
        raise ValueError(f"unknown adjustment {method!r}; choose from {', '.join(ADJUST_METHODS)}")
    p = np.asarray(pvalues, dtype=float)
    out = p.copy()
    ok = ~np.isnan(p)
    if ADJUST_METHODS[key] is not None and ok.any():
        out[ok] = multipletests(p[ok], method=ADJUST_METHODS[key])[1]
    return [float(v) for v in out]


def rank_units(estimates: dict[Any, Estimate], min_n: int = 30, higher_is_better: bool = True,
               adjust: str = "holm") -> list[RankedUnit]:
    """A league table: ranked units first (ties share a rank), then those with n < min_n.

    Every ranked unit is compared with the leader: does its CI overlap the leader's, and the
    z (or t) test of ``difference`` with ``adjust`` across the comparisons. A unit is flagged
    ``not_significantly_different_from_leader`` (差异不显著) when the CIs overlap or the
    adjusted p is ≥ α. Units below ``min_n`` get status ``insufficient_sample`` (样本不足).
    """
    ok = {u: e for u, e in estimates.items() if e.n >= min_n and math.isfinite(e.estimate)}
    order = sorted(ok, key=lambda u: ok[u].estimate, reverse=higher_is_better)
    ranks = pd.Series([ok[u].estimate for u in order]).rank(method="min", ascending=not higher_is_better)
    rows = [_leader_row(order[0], ok[order[0]])] if order else []
    tests = [difference(ok[order[0]], ok[u]) for u in order[1:]]
    adjusted = adjust_pvalues([t.p_value for t in tests], adjust)
    for u, rank, test, p_adj in zip(order[1:], ranks.iloc[1:], tests, adjusted):
        rows.append(_ranked_row(u, ok[u], int(rank), ok[order[0]], test.p_value, p_adj))
    rows += [RankedUnit(u, e.estimate, e.ci_low, e.ci_high, e.n, None, INSUFFICIENT, (INSUFFICIENT,))
             for u, e in estimates.items() if u not in ok]
    return rows


def compare_groups(frame: pd.DataFrame, var: str, group: str, design: Design | None = None,
                   pairwise: bool = False, adjust: str = "holm", level: float = 0.95) -> list[Difference]:
    """Differences in the mean (or proportion, for 0/1 answers) of ``var`` between groups.

    Each group against all the other groups together (default), or every pair (b minus a in
    level order). Groups are domains of one design, so each SE is the linearised SE of the
    contrast itself (covariances included); t(design df). Without a design each respondent is
    its own PSU (SRS with replacement, df = n − 1). p-values are adjusted with ``adjust``.
    """
    design = design or Design.srs(len(frame))
    values, labels = answer_values(frame[var]), frame[group]
    levels = list(labels.astype("category").cat.categories)
    masks = {g: (labels == g).to_numpy(dtype=bool) for g in levels}
    if pairwise:
        pairs = [(masks[a], masks[b], {"group1": a, "group2": b}) for a, b in combinations(levels, 2)]
    else:
        rest = labels.notna().to_numpy()
        pairs = [(rest & ~masks[g], masks[g], {"group1": None, "group2": g}) for g in levels]
    results = [_contrast(values, design, m1, m2, level, extra) for m1, m2, extra in pairs]
    adjusted = adjust_pvalues([r.p_value for r in results], adjust)
    return [replace(r, p_adjusted=p) for r, p in zip(results, adjusted)]


def _divide(a: float, b: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(a) / np.float64(b))


def _leader_row(unit: Any, est: Estimate) -> RankedUnit:
    return RankedUnit(unit, est.estimate, est.ci_low, est.ci_high, est.n, 1, "ranked")


def _ranked_row(unit: Any, est: Estimate, rank: int, leader: Estimate, p: float, p_adj: float) -> RankedUnit:
    overlaps = bool(est.ci_low <= leader.ci_high and est.ci_high >= leader.ci_low)
    alpha = 1 - est.level
    flags = (NOT_DIFFERENT,) if overlaps or not p_adj < alpha else ()
    return RankedUnit(unit, est.estimate, est.ci_low, est.ci_high, est.n, rank, "ranked", flags, overlaps, p, p_adj)


def _contrast(values: np.ndarray, design: Design, mask1: np.ndarray, mask2: np.ndarray, level: float,
              extra: dict[str, Any]) -> Difference:
    """Domain mean 2 minus domain mean 1 on one design, SE from the contrast's influence values."""
    m1, z1 = mean_influence(np.where(mask1, values, np.nan), design.weights)
    m2, z2 = mean_influence(np.where(mask2, values, np.nan), design.weights)
    se = math.sqrt(linearised_variance(design, z2 - z1))
    df, d = design.degrees_of_freedom, m2 - m1
    stat = _divide(d, se)
    half = t_quantile(df, level) * se
    n1, n2 = (int((m & ~np.isnan(values)).sum()) for m in (mask1, mask2))
    return Difference(d, se, d - half, d + half, stat, float(2 * stats.t.sf(abs(stat), df)), n1, n2,
                      "design contrast (t)", level, df, m1, m2, extra=extra)
