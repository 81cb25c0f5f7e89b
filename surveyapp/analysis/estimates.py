"""Proportions, means and totals with confidence intervals, unweighted or design-based.

Missing values (NaN / ``pd.NA``) mean "not a valid answer" (说不清, 拒答, skipped):
they never count in the base ``n``. Without a design the valid answers are a
simple random sample. With a design every row is kept and missing rows get zero
influence (domain estimation), which is what R's ``svymean(na.rm=TRUE)`` does;
the variance still sees every PSU. Subgroups work the same way (see ``by``).

Formulas and R conventions: ``/work/shared/reference/README.md`` §2, §3.1, §3.2.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from surveyapp.analysis.design import Design, linearised_covariance
from surveyapp.analysis.results import Estimate

if TYPE_CHECKING:
    from surveyapp.analysis.weighting import Calibration

SRS_METHODS = {"wilson": "wilson", "wilson-cc": "wilson-cc", "clopper-pearson": "clopper-pearson",
               "beta": "clopper-pearson", "exact": "clopper-pearson", "wald": "wald",
               "agresti-coull": "agresti-coull", "jeffreys": "jeffreys", "logit": "logit"}
DESIGN_METHODS = {"logit": "logit", "xlogit": "logit", "beta": "korn-graubard",
                  "korn-graubard": "korn-graubard", "mean": "mean", "wald": "mean", "asin": "asin"}


SMALL_COUNT = 5
"""Below this many answers on either side, the default interval is exact (Clopper-Pearson)."""


def proportion_ci(x: int, n: int, method: str = "wilson", level: float = 0.95) -> tuple[float, float]:
    """A confidence interval for x successes out of n (simple random sample), R conventions.

    ``method``: wilson (``prop.test(correct=FALSE)``), wilson-cc, clopper-pearson (alias beta,
    exact; ``binom.test``), wald and agresti-coull (not clipped to [0, 1], as in R), jeffreys
    (lower 0 at x = 0, upper 1 at x = n) and logit (undefined, NaN, at x = 0 or n).
    """
    method = _canonical(method, SRS_METHODS)
    if n <= 0:
        return math.nan, math.nan
    alpha, z, p = 1 - level, stats.norm.ppf(1 - (1 - level) / 2), x / n
    if method in ("wilson", "clopper-pearson"):
        low, high = proportion_confint(x, n, alpha=alpha, method="wilson" if method == "wilson" else "beta")
        return float(low), float(high)
    if method == "wilson-cc":
        ci = stats.binomtest(int(x), int(n)).proportion_ci(level, method="wilsoncc")
        return float(ci.low), float(ci.high)
    if method == "wald":
        half = z * math.sqrt(p * (1 - p) / n)
        return p - half, p + half
    if method == "agresti-coull":
        n_t = n + z ** 2
        p_t = (x + z ** 2 / 2) / n_t
        half = z * math.sqrt(p_t * (1 - p_t) / n_t)
        return p_t - half, p_t + half
    if method == "jeffreys":
        low = 0.0 if x == 0 else float(stats.beta.ppf(alpha / 2, x + 0.5, n - x + 0.5))
        high = 1.0 if x == n else float(stats.beta.ppf(1 - alpha / 2, x + 0.5, n - x + 0.5))
        return low, high
    return _logit_ci(p, math.sqrt(p * (1 - p) / n), z)


def proportion(y: Any, design: Design | None = None, ci: str | None = None, level: float = 0.95,
               df: float | None = None, calibration: Calibration | None = None) -> Estimate:
    """The share of 1/True among the valid answers of ``y``, with its confidence interval.

    :param y: booleans or 0/1 values, one per respondent (NaN = not a valid answer).
    :param design: without one, the valid answers are a simple random sample: SE √(p(1−p)/n) and a
        ``proportion_ci`` interval (default Wilson; Clopper-Pearson when x or n − x is under 5). With one, the SE is linearised, ``deff`` is
        against SRS without replacement (``extra["deff_replace"]`` with replacement) and ``ci`` is
        logit (default, = R ``svyciprop`` logit/xlogit), beta (Korn–Graubard), mean (t) or asin,
        all with t(design df).
    :param df: overrides the degrees of freedom of a design-based interval (``math.inf``: normal).
    :param calibration: the GREG projection of a raked or post-stratified design (``weighting``).
    """
    values = answer_values(y)
    if np.any(~np.isin(values[~np.isnan(values)], (0.0, 1.0))):
        raise ValueError("proportion needs boolean or 0/1 values (NaN for no valid answer)")
    if _unweighted(design, calibration):
        return _srs_proportion(values, None if ci is None else _canonical(ci, SRS_METHODS), level)
    parts = _design_parts(values, design, calibration, df)
    method = _canonical(ci or "logit", DESIGN_METHODS)
    p, se = parts["estimate"], parts["se"]
    low, high, method = _design_proportion_ci(p, se, parts["n"], parts["df"], method, level)
    extra = {"deff_replace": parts["deff_replace"], "effective_n": _ratio(p * (1 - p), se ** 2)}
    return _estimate(parts, low, high, method, level, extra)


def mean(y: Any, design: Design | None = None, level: float = 0.95, df: float | None = None,
         calibration: Calibration | None = None) -> Estimate:
    """The mean of the valid answers of ``y`` with a t interval.

    Without a design: sd/√n and t(n − 1). With one: linearised SE, t(design df) and deff.
    ``df`` overrides the degrees of freedom (``math.inf`` gives a normal interval).
    """
    values = answer_values(y)
    if _unweighted(design, calibration):
        valid = values[~np.isnan(values)]
        n = len(valid)
        se = float(np.std(valid, ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        m = float(valid.mean()) if n else math.nan
        low, high = _t_interval(m, se, n - 1 if df is None else df, level)
        return Estimate(m, se, low, high, n, "t", level, n - 1 if df is None else df)
    parts = _design_parts(values, design, calibration, df)
    low, high = _t_interval(parts["estimate"], parts["se"], parts["df"], level)
    return _estimate(parts, low, high, "t", level, {"deff_replace": parts["deff_replace"]})


def total(y: Any, design: Design | None = None, level: float = 0.95, df: float | None = None,
          calibration: Calibration | None = None) -> Estimate:
    """The weighted total Σ w·y over the valid answers, linearised SE and t(df) interval.

    Without a design every weight is 1 (the sum of the answers, SRS with replacement).
    """
    values = answer_values(y)
    design = Design.srs(len(values)) if _unweighted(design, calibration) else design
    _check_length(values, design)
    valid = ~np.isnan(values)
    u = np.where(valid, values, 0.0)
    z = design.weights * (u if calibration is None else calibration.residuals(u))
    se = math.sqrt(linearised_variance(design, z))
    est = float(np.dot(design.weights, u))
    dof = design.degrees_of_freedom if df is None else df
    low, high = _t_interval(est, se, dof, level)
    sum_w = float(design.weights[valid].sum())
    return Estimate(est, se, low, high, int(valid.sum()), "t", level, dof, None, sum_w)


def by(frame: pd.DataFrame, func: Callable[..., Estimate], var: str, group: str,
       design: Design | None = None, **kw: Any) -> dict[Any, Estimate]:
    """``func`` (``proportion``, ``mean`` or ``total``) of ``var`` within each level of ``group``.

    Domains are estimated on the full design: answers outside the domain become missing, so
    every row and PSU stays in the variance (R ``svyby``). ``n`` is the unweighted domain base.
    Rows with a missing ``group`` belong to no domain. Levels follow a categorical's order,
    otherwise they are sorted.
    """
    values = answer_values(frame[var])
    levels = frame[group].astype("category").cat.categories
    result = {}
    for level in levels:
        inside = (frame[group] == level).to_numpy(dtype=bool)
        domain = pd.Series(np.where(inside, values, np.nan), index=frame.index)
        result[level] = func(domain, design=design, **kw)
    return result


def margin_of_error(n: float, p: float = 0.5, deff: float = 1.0, level: float = 0.95,
                    population: float | None = None) -> float:
    """The half-width z·√(deff·p(1−p)/n) of a normal interval for a proportion.

    With a finite ``population`` N it is multiplied by √((N − n)/(N − 1)).
    """
    z = stats.norm.ppf(1 - (1 - level) / 2)
    moe = z * math.sqrt(deff * p * (1 - p) / n)
    if population is not None:
        moe *= math.sqrt((population - n) / (population - 1))
    return float(moe)


def mean_influence(values: np.ndarray, weights: np.ndarray,
                   calibration: Calibration | None = None) -> tuple[float, np.ndarray]:
    """The weighted mean of ``values`` (NaN = outside the base) and its influence values.

    The influence values w·(y − ȳ)/Σw (zero outside the base) are what ``linearised_covariance``
    takes; with a ``calibration`` the centred values are replaced by their GREG residuals.
    """
    valid = ~np.isnan(values)
    w = np.where(valid, weights, 0.0)
    sum_w = w.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        m = float(np.dot(w, np.where(valid, values, 0.0)) / sum_w)
        u = np.where(valid, values - m, 0.0)
        if calibration is not None:
            u = calibration.residuals(u)
        return m, weights * u / sum_w


def linearised_variance(design: Design, z: np.ndarray) -> float:
    """The linearised variance of the total of ``z``; NaN when ``z`` has NaNs (an empty base)."""
    return math.nan if np.isnan(z).any() else float(linearised_covariance(design, z)[0, 0])


def answer_values(y: Any) -> np.ndarray:
    """Answers (a Series, list or array; booleans or numbers) as floats, missing ones as NaN."""
    return pd.to_numeric(pd.Series(y)).to_numpy(dtype=float, na_value=np.nan)


def t_quantile(df: float | None, level: float) -> float:
    """The upper two-sided t quantile for ``level`` (normal for infinite df, NaN for df < 1)."""
    if df is None or df < 1:
        return math.nan
    return float(stats.norm.ppf(1 - (1 - level) / 2) if math.isinf(df) else stats.t.ppf(1 - (1 - level) / 2, df))


def _unweighted(design: Design | None, calibration: Calibration | None) -> bool:
    """No design means a simple random sample; a calibration needs its calibrated design."""
    if design is None and calibration is not None:
        raise ValueError("a calibration needs the design that carries the calibrated weights")
    return design is None


def _canonical(method: str, names: dict[str, str]) -> str:
    key = method.lower().replace("_", "-")
    if key not in names:
        raise ValueError(f"unknown interval method {method!r}; choose from {', '.join(sorted(names))}")
    return names[key]


def _check_length(values: np.ndarray, design: Design) -> None:
    if design.n != len(values):
        raise ValueError(f"the design has {design.n} rows but the variable has {len(values)}")


def _ratio(a: float, b: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(a) / np.float64(b))


def _srs_proportion(values: np.ndarray, method: str | None, level: float) -> Estimate:
    """Without a chosen method: Wilson, or Clopper-Pearson when fewer than 5 answers are on one side."""
    valid = values[~np.isnan(values)]
    n, x = len(valid), int(valid.sum())
    if method is None:
        method = "clopper-pearson" if min(x, n - x) < SMALL_COUNT else "wilson"
    p = x / n if n else math.nan
    se = math.sqrt(p * (1 - p) / n) if n else math.nan
    low, high = proportion_ci(x, n, method, level)
    return Estimate(p, se, low, high, n, method, level, extra={"count": x})


def _design_parts(values: np.ndarray, design: Design, calibration: Calibration | None,
                  df: float | None) -> dict[str, Any]:
    """Estimate, linearised SE, design effects, base n and sum of weights of a weighted mean."""
    _check_length(values, design)
    m, z = mean_influence(values, design.weights, calibration)
    variance = linearised_variance(design, z)
    valid = ~np.isnan(values)
    wor, replace = _deffs(values, design.weights, variance)
    return {"estimate": m, "se": math.sqrt(variance), "n": int(valid.sum()),
            "sum_weights": float(design.weights[valid].sum()), "deff": wor, "deff_replace": replace,
            "df": design.degrees_of_freedom if df is None else df}


def _deffs(values: np.ndarray, weights: np.ndarray, variance: float) -> tuple[float, float]:
    """Design effects against SRS without (R's default, N = Σw) and with replacement."""
    keep = ~np.isnan(values) & (weights != 0)
    y, w = values[keep], weights[keep]
    n, big_n = len(y), w.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.dot(w, y) / big_n
        s2 = np.dot(w, (y - m) ** 2) / big_n * n / (n - 1)
        return (float(variance / (s2 * (big_n - n) / (big_n * n))), float(variance / (s2 / n)))


def _estimate(parts: dict[str, Any], low: float, high: float, method: str, level: float,
              extra: dict[str, Any]) -> Estimate:
    return Estimate(parts["estimate"], parts["se"], low, high, parts["n"], method, level, parts["df"],
                    parts["deff"], parts["sum_weights"], extra)


def _t_interval(m: float, se: float, df: float, level: float) -> tuple[float, float]:
    half = t_quantile(df, level) * se
    return m - half, m + half


def _logit_ci(p: float, se: float, quantile: float) -> tuple[float, float]:
    """expit(logit p ± q·se/(p(1−p))); NaN when p is 0 or 1."""
    if not 0 < p < 1:
        return math.nan, math.nan
    centre, half = math.log(p / (1 - p)), quantile * se / (p * (1 - p))
    return float(1 / (1 + math.exp(-(centre - half)))), float(1 / (1 + math.exp(-(centre + half))))


def _design_proportion_ci(p: float, se: float, n: int, df: float, method: str,
                          level: float) -> tuple[float, float, str]:
    """The design-based interval; logit falls back to Korn–Graubard at p = 0 or 1."""
    q = t_quantile(df, level)
    if method == "logit" and p in (0.0, 1.0):
        method = "korn-graubard"
    if method == "logit":
        return (*_logit_ci(p, se, q), method)
    if method == "mean":
        return p - q * se, p + q * se, method
    if method == "asin":
        centre = math.asin(math.sqrt(p))
        half = q * se / (2 * math.sqrt(p * (1 - p))) if 0 < p < 1 else 0.0
        return math.sin(max(centre - half, 0.0)) ** 2, math.sin(min(centre + half, math.pi / 2)) ** 2, method
    return (*_korn_graubard(p, se, n, df, level), method)


def _korn_graubard(p: float, se: float, n: int, df: float, level: float) -> tuple[float, float]:
    """Clopper–Pearson at the df-adjusted effective n (R ``svyciprop(method="beta")``).

    When p is 0 or 1 (no variance) the nominal n is used, as NCHS does.
    """
    alpha = 1 - level
    if 0 < p < 1 and se > 0:
        n_eff = p * (1 - p) / se ** 2 * (stats.t.ppf(alpha / 2, n - 1) / t_quantile(df, level)) ** 2
    else:
        n_eff = n
    low = 0.0 if p <= 0 else float(stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1))
    high = 1.0 if p >= 1 else float(stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p)))
    return low, high
