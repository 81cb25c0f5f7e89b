"""Indicators of an analysis plan, estimated from a response frame.

``indicator_values`` turns an indicator into one number per respondent (1/0 for
rates, 0–100 for scores, NaN outside the indicator's base: unanswered,
not relevant, or in an excluded category such as 说不清). ``estimate`` takes it
from there: a proportion or a mean with its base n and interval, overall or for a
domain (a community, a wave). Composites combine the influence values of their
components so that their standard error accounts for the components' covariance.
Administrative indicators (cases per 10,000 residents) come from the inputs
table, with an exact Poisson interval for the count.
"""

from __future__ import annotations

import math

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from surveyapp.analysis import estimates
from surveyapp.analysis.compare import Difference, RankedUnit, compare_proportions, difference, rank_units
from surveyapp.analysis.design import Design
from surveyapp.analysis.plan import Indicator, Plan
from surveyapp.analysis.results import Estimate, record_dict
from surveyapp.analysis.rosters import entry_estimate
from surveyapp.analysis.sample import Sample, prepare


def indicator_values(indicator: Indicator, frame: pd.DataFrame) -> pd.Series:
    """One float per respondent: 1/0 (rates), points (scores); NaN outside the base."""
    if indicator.kind in ("rate", "top2") and indicator.any_of:
        return _multiple_values(indicator, frame)
    if indicator.kind in ("rate", "top2"):
        answers = frame[indicator.question].astype(object)
        in_base = answers.notna() & ~answers.isin(indicator.exclude)
        return answers.isin(indicator.positive).astype(float).where(in_base)
    if indicator.kind == "score":
        answers = frame[indicator.question].astype(object)
        return answers.map(indicator.scores).astype(float)
    raise ValueError(f"indicator {indicator.name!r} of kind {indicator.kind!r} has no per-respondent values")


def _multiple_values(indicator: Indicator, frame: pd.DataFrame) -> pd.Series:
    """select_multiple: chose any of ``any_of``; outside the base when unanswered or an excluded code."""
    columns = [c for c in frame.columns if c.startswith(f"{indicator.question}/")]
    answered = frame[columns[0]].notna()
    chosen = np.zeros(len(frame), dtype=bool)
    for code in indicator.any_of:
        chosen |= frame[f"{indicator.question}/{code}"].fillna(False).to_numpy(dtype=bool)
    excluded = np.zeros(len(frame), dtype=bool)
    for code in indicator.exclude:
        column = f"{indicator.question}/{code}"
        if column in frame:
            excluded |= frame[column].fillna(False).to_numpy(dtype=bool)
    return pd.Series(chosen.astype(float), index=frame.index).where(answered & ~excluded)


def _scale(indicator: Indicator) -> float:
    """Composites add rates as percentages and scores as points."""
    return 100.0 if indicator.on_percent_scale else 1.0


def estimate(indicator: Indicator, sample: Sample | pd.DataFrame, plan: Plan,
             domain: pd.Series | np.ndarray | None = None, ci: str | None = None) -> Estimate:
    """The indicator's estimate over the sample (or over the rows where ``domain`` is true).

    Rates are proportions (0–1) with a Wilson interval unweighted, a logit interval with
    design degrees of freedom when weighted; scores and composites are points (0–100) with a
    t interval. A plain frame is taken as an unweighted sample of all its rows.
    """
    sample = Sample.of(sample)
    if indicator.kind == "composite":
        return _composite(indicator, sample, plan, domain)
    if indicator.roster is not None:
        return _labelled(_over_entries(indicator, sample, domain), indicator)
    values = indicator_values(indicator, sample.frame)
    if domain is not None:
        values = values.where(np.asarray(domain, dtype=bool))
    if indicator.kind in ("rate", "top2"):
        result = estimates.proportion(values, sample.design, ci, calibration=sample.calibration)
    else:
        result = estimates.mean(values, sample.design, calibration=sample.calibration)
    return _labelled(result, indicator)


def _over_entries(indicator: Indicator, sample: Sample, domain) -> Estimate:
    """A roster indicator over the entries of the sample's responses (in ``domain`` when given)."""
    roster = sample.rosters.get(indicator.roster)
    if roster is None:  # absent rather than wrong: the sample was built without its rosters
        nan = float("nan")
        return Estimate(nan, nan, nan, nan, 0, "none", extra={"base": "entries", "roster": indicator.roster,
                                                             "reason": "roster_not_loaded"})
    ids = sample.frame["_id"] if domain is None else sample.frame["_id"][np.asarray(domain, dtype=bool)]
    return entry_estimate(indicator, roster, ids)


def _labelled(result: Estimate, indicator: Indicator, **more) -> Estimate:
    extra = {**result.extra, "indicator": indicator.name, "kind": indicator.kind, "label": indicator.label,
             "unit": "percent" if indicator.on_percent_scale else "points",
             "excluded_codes": list(indicator.exclude), "higher_is_better": indicator.higher_is_better, **more}
    return Estimate(result.estimate, result.se, result.ci_low, result.ci_high, result.n, result.method,
                    result.level, result.df, result.deff, result.sum_weights, extra)


def _composite(indicator: Indicator, sample: Sample, plan: Plan, domain: pd.Series | np.ndarray | None,
               level: float = 0.95) -> Estimate:
    """Σ weight × component (rates as %), SE from the summed influence values of the components."""
    frame = sample.frame
    design = sample.design or Design.srs(len(frame))
    inside = np.ones(len(frame), dtype=bool) if domain is None else np.asarray(domain, dtype=bool)
    total, influence, bases = 0.0, np.zeros(len(frame)), {}
    for name, weight in indicator.components.items():
        component = plan.indicator(name)
        values = np.where(inside, indicator_values(component, frame).to_numpy(dtype=float), np.nan)
        bases[name] = int((~np.isnan(values)).sum())
        if not bases[name]:
            return _labelled(Estimate(np.nan, np.nan, np.nan, np.nan, 0, "linearised-t", level), indicator)
        mean, z = estimates.mean_influence(values, design.weights, sample.calibration)
        factor = weight * _scale(component)
        total, influence = total + factor * mean, influence + factor * z
    se = math.sqrt(estimates.linearised_variance(design, influence))
    df = max(design.degrees_of_freedom, 1)
    low, high = (total + sign * estimates.t_quantile(df, level) * se for sign in (-1, 1))
    return _labelled(Estimate(total, se, low, high, min(bases.values()), "linearised-t", level, df),
                     indicator, component_n=bases, weights=dict(indicator.components))


def estimate_all(sample: Sample | pd.DataFrame, plan: Plan,
                 domain: pd.Series | np.ndarray | None = None) -> dict[str, Estimate]:
    """Every survey indicator of the plan (administrative ones are left to ``admin_rates``)."""
    return {i.name: estimate(i, sample, plan, domain) for i in plan.indicators if i.kind != "admin"}


def estimate_by(indicator: Indicator, sample: Sample | pd.DataFrame, plan: Plan, by: str) -> dict[str, Estimate]:
    """The indicator per level of column ``by`` (a community, a subgroup), as domains of one sample."""
    sample = Sample.of(sample)
    column = sample.frame[by]
    return {str(level): estimate(indicator, sample, plan, (column == level).fillna(False).to_numpy())
            for level in sorted(column.dropna().unique(), key=str)}


def compare_samples(indicator: Indicator, first: Sample | pd.DataFrame, second: Sample | pd.DataFrame,
                    plan: Plan) -> Difference:
    """The change of an indicator from one independent sample (a wave) to another, second minus first.

    Unweighted rates use the pooled two-proportion z test (R ``prop.test``); scores,
    composites and weighted rates the difference of independent estimates, SE √(se1² + se2²).
    """
    first, second = Sample.of(first), Sample.of(second)
    if indicator.kind in ("rate", "top2") and first.design is None and second.design is None:
        return compare_proportions(indicator_values(indicator, first.frame),
                                   indicator_values(indicator, second.frame))
    return difference(estimate(indicator, first, plan), estimate(indicator, second, plan))


def compare_waves(indicator: Indicator, frame: pd.DataFrame, plan: Plan, first: str, second: str,
                  batteries: Mapping[str, Sequence[str]] | None = None) -> Difference:
    """The change between two waves of ``frame``, each screened and weighted on its own (``prepare``)."""
    waves = frame["_wave"].astype(object)
    samples = [prepare(frame[(waves == name).to_numpy()], plan, batteries) for name in (first, second)]
    return compare_samples(indicator, samples[0], samples[1], plan)


def rank_units_by(indicator: Indicator, sample: Sample | pd.DataFrame, plan: Plan, by: str = "_channel",
                  min_n: int | None = None) -> list[RankedUnit]:
    """A league table of the units in column ``by`` (communities, 警务区) for the indicator.

    Units with fewer valid answers than ``min_n`` (default: the plan's) are listed as 样本不足
    and not ranked; the others carry their n and interval, and those not significantly
    different from the leader are flagged (``compare.rank_units``).
    """
    results = estimate_by(indicator, sample, plan, by)
    return rank_units(results, plan.min_n if min_n is None else min_n, indicator.higher_is_better)


@dataclass(frozen=True)
class AdminRate:
    """An administrative rate for one unit and period: numerator / denominator × per."""

    unit: str
    period: str
    numerator: float
    denominator: float
    per: float
    estimate: float
    ci_low: float
    ci_high: float
    method: str = "exact-poisson"

    def to_dict(self) -> dict:
        """A JSON-ready dict (plain floats, NaN as None)."""
        return record_dict(self)


def admin_rates(indicator: Indicator, inputs: pd.DataFrame, units: Sequence[str] | None = None,
                periods: Sequence[str] | None = None, level: float = 0.95) -> list[AdminRate]:
    """The indicator for each unit and period that has both figures.

    :param inputs: columns unit, period, measure, value (``studies.admin_inputs``).
    """
    wide = inputs.pivot_table(index=["unit", "period"], columns="measure", values="value", aggfunc="last")
    out = []
    for (unit, period), row in wide.iterrows():
        if (units and unit not in units) or (periods and period not in periods):
            continue
        count, base = row.get(indicator.numerator), row.get(indicator.denominator)
        if pd.isna(count) or pd.isna(base) or base <= 0:
            continue
        low, high = poisson_interval(float(count), level)
        scale = indicator.per / base
        out.append(AdminRate(unit, period, float(count), float(base), indicator.per, count * scale,
                             low * scale, high * scale))
    return out


@dataclass(frozen=True)
class RateChange:
    """The change of an administrative rate between two periods, with an exact test."""

    before: AdminRate
    after: AdminRate
    difference: float
    ratio: float
    p_value: float
    level: float = 0.95

    @property
    def significant(self) -> bool:
        return bool(self.p_value < 1 - self.level)


def compare_rates(before: AdminRate, after: AdminRate, level: float = 0.95) -> RateChange:
    """Two Poisson rates compared exactly: given both counts' total, the later count is binomial
    with p = its share of the exposure (population); two-sided binomial test."""
    total = int(round(before.numerator + after.numerator))
    share = after.denominator / (before.denominator + after.denominator)
    p_value = 1.0 if total == 0 else float(stats.binomtest(int(round(after.numerator)), total, share).pvalue)
    ratio = after.estimate / before.estimate if before.estimate else math.inf
    return RateChange(before, after, after.estimate - before.estimate, ratio, p_value, level)


def poisson_interval(count: float, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson count."""
    alpha = 1 - level
    low = 0.0 if count == 0 else stats.chi2.ppf(alpha / 2, 2 * count) / 2
    high = stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return float(low), float(high)


def indicator_table(results: Mapping[str, Estimate]) -> pd.DataFrame:
    """Estimates as a table (one row per indicator), for notebooks and exports."""
    return pd.DataFrame([{"indicator": k, **v.to_dict()} for k, v in results.items()])
