"""Multi-item scales: Cronbach's alpha and a proportional-odds driver analysis.

``cronbach_alpha`` follows README §3.6 and reproduces ``psych::alpha``.
``driver_analysis`` fits an ordinal outcome (e.g. overall satisfaction) on item
ratings with statsmodels' ``OrderedModel`` (cumulative logit, no constant),
the model of R's ``MASS::polr``; under a design it weights the log-likelihood
and takes a sandwich variance with the design's linearised covariance of the
scores, which reproduces ``survey::svyolr`` (README §3.5).

Sign convention (as ``polr``): logit P(Y <= k) = zeta_k - x'beta, so a positive
coefficient moves answers towards the higher modelled levels. The caller states
which end of the codes is "better" and the outcome is ordered worst -> best, so
a positive coefficient always means "a better item rating goes with a better
outcome".
"""

from __future__ import annotations

import math

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from surveyapp.analysis.design import Design, linearised_covariance
from surveyapp.analysis.results import json_ready

ALPHA_LOW, ALPHA_HIGH = 0.7, 0.95
Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha of ``k`` items over ``n`` complete cases, with item diagnostics.

    ``caution`` is "low_reliability" when alpha < 0.7, "possible_redundancy"
    when alpha > 0.95 (README §5.5), else None.
    """

    items: tuple[str, ...]
    k: int
    n: int
    alpha: float
    standardized_alpha: float
    mean_inter_item_correlation: float
    alpha_if_deleted: dict[str, float]
    item_rest_correlation: dict[str, float]
    caution: str | None
    ci_low: float = math.nan
    ci_high: float = math.nan
    ci_method: str = "feldt"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN as None)."""
        return json_ready(asdict(self))


@dataclass(frozen=True)
class Driver:
    """One item's effect on the outcome: log-odds coefficient per rating point and its importance.

    ``standardized`` is the coefficient times the item's (weighted) standard
    deviation: the log-odds change for one SD of the item, comparable across
    items with different spreads. ``rank`` 1 is the largest |standardized|.
    """

    item: str
    coefficient: float
    se: float
    statistic: float
    p_value: float
    odds_ratio: float
    ci_low: float
    ci_high: float
    standardized: float
    rank: int


@dataclass(frozen=True)
class DriverResult:
    """A proportional-odds driver model of ``outcome`` on the items.

    ``levels`` lists the outcome levels in modelled order (worst -> best);
    ``thresholds`` are the cut-points zeta between them, labelled like
    ``polr`` ("a|b"). ``method`` is "ml" (unweighted, model-based SEs, z
    tests) or "design" (weighted, linearised sandwich SEs, t tests with ``df``
    = #PSU - #strata). ``log_likelihood`` is given for the unweighted model
    only. ``converged`` is False, with a note, when the optimiser did not
    converge; then the numbers must not be reported.
    """

    outcome: str
    better: str
    items_better: str
    levels: tuple[Any, ...]
    n: int
    method: str
    drivers: tuple[Driver, ...]
    thresholds: dict[str, float]
    threshold_se: dict[str, float]
    log_likelihood: float | None
    df: int | None
    converged: bool
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN as None; levels as strings)."""
        data = asdict(self)
        data["levels"] = [str(level) for level in self.levels]
        return json_ready(data)


def cronbach_alpha(frame: pd.DataFrame, items: Sequence[str]) -> AlphaResult:
    """Raw and standardised alpha of ``items`` over complete cases, with alpha-if-deleted.

    Variances use ddof = 1. The item-rest correlation correlates each item
    with the sum of the other items (psych's ``r.drop``).
    """
    items = tuple(items)
    if len(items) < 2:
        raise ValueError("Cronbach's alpha needs at least two items")
    data = _numeric(frame, items).dropna()
    k = len(items)
    correlations = data.corr().to_numpy()
    r_bar = float(correlations[np.triu_indices(k, 1)].mean())
    alpha = _alpha(data)
    low, high = feldt_interval(alpha, len(data), k)
    return AlphaResult(
        items=items, k=k, n=len(data), alpha=alpha,
        standardized_alpha=k * r_bar / (1 + (k - 1) * r_bar),
        mean_inter_item_correlation=r_bar,
        alpha_if_deleted={item: _alpha(data.drop(columns=item)) for item in items},
        item_rest_correlation={item: float(data[item].corr(data.drop(columns=item).sum(axis=1)))
                               for item in items},
        caution=("low_reliability" if alpha < ALPHA_LOW else
                 "possible_redundancy" if alpha > ALPHA_HIGH else None),
        ci_low=low, ci_high=high,
    )


def feldt_interval(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt's interval for alpha: (1 - alpha_hat) / (1 - alpha) follows F(n - 1, (n - 1)(k - 1))."""
    if n < 2 or k < 2 or not math.isfinite(alpha):
        return math.nan, math.nan
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    return (float(1 - (1 - alpha) * stats.f.ppf(1 - tail, df1, df2)),
            float(1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)))


def driver_analysis(frame: pd.DataFrame, outcome: str, items: Sequence[str], design: Design | None = None,
                    *, better: Direction, items_better: Direction | None = None) -> DriverResult:
    """Proportional-odds model of ``outcome`` on the item ratings, with an importance ranking.

    ``better`` says which end of the outcome's codes is better ("higher" or
    "lower", e.g. "lower" for 1 = 很满意 ... 5 = 很不满意); ``items_better``
    does the same for the items (default: as the outcome). Ordered
    categoricals are read by category position (1, 2, ...): set
    non-substantive answers (说不清) to NA first. Rows with a missing outcome
    or item are left out (under a design they stay in the variance with zero
    scores, as domain estimation requires).
    """
    items, items_better = tuple(items), items_better or better
    for direction in (better, items_better):
        if direction not in ("higher", "lower"):
            raise ValueError(f"direction must be 'higher' or 'lower', not {direction!r}")
    complete, levels, endog, exog = _model_data(frame, outcome, items, better, items_better)
    weights = None if design is None else design.weights[complete]
    model, params, converged, notes = _fit(endog, exog, weights)
    covariance = _covariance(model, params, design, complete)
    df = None if design is None else design.subset(complete).degrees_of_freedom
    k = len(items)
    drivers = _drivers(items, params[:k], covariance[:k, :k], exog, weights, df)
    zeta, zeta_se = _thresholds(model, params, covariance, k)
    labels = [f"{low}|{high}" for low, high in zip(levels[:-1], levels[1:])]
    return DriverResult(
        outcome=outcome, better=better, items_better=items_better, levels=tuple(levels), n=int(complete.sum()),
        method="ml" if design is None else "design", drivers=drivers,
        thresholds=dict(zip(labels, zeta)), threshold_se=dict(zip(labels, zeta_se)),
        log_likelihood=float(model.loglike(params)) if design is None else None,
        df=df, converged=converged, notes=notes,
    )


class WeightedOrderedModel(OrderedModel):
    """``OrderedModel`` with each observation's log-likelihood multiplied by its survey weight.

    statsmodels derives ``score_obs`` and ``hessian`` numerically from
    ``loglikeobs``, so they are weighted too (its analytic ``score_obs_`` is
    unused and incomplete, so it is left alone).
    """

    def __init__(self, endog: np.ndarray, exog: np.ndarray, weights: np.ndarray, **kwargs: Any) -> None:
        super().__init__(endog, exog, **kwargs)
        self.survey_weights = np.asarray(weights, dtype=float)

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        """Weighted log-likelihood contributions."""
        return self.survey_weights * super().loglikeobs(params)


def _alpha(data: pd.DataFrame) -> float:
    """k/(k-1) * (1 - sum of item variances / variance of the sum); NaN for fewer than 2 items."""
    k = data.shape[1]
    if k < 2 or len(data) < 2:
        return float("nan")
    return float(k / (k - 1) * (1 - data.var(ddof=1).sum() / data.sum(axis=1).var(ddof=1)))


def _numeric(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The columns as floats; categoricals by category position (1, 2, ...), NA kept."""
    def convert(values: pd.Series) -> pd.Series:
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.astype(float)
            return (codes + 1).where(codes >= 0)
        return pd.to_numeric(values).astype(float)
    return pd.DataFrame({column: convert(frame[column]) for column in columns})


def _model_data(frame: pd.DataFrame, outcome: str, items: tuple[str, ...], better: str, items_better: str
                ) -> tuple[np.ndarray, list[Any], np.ndarray, np.ndarray]:
    """Complete-case mask, outcome levels worst -> best, outcome codes 0.. and the oriented item matrix."""
    x = _numeric(frame, items)
    complete = (frame[outcome].notna() & x.notna().all(axis=1)).to_numpy()
    levels = _levels(frame[outcome][complete], reverse=better == "lower")
    endog = pd.Index(levels).get_indexer(frame[outcome][complete])
    exog = x[complete].to_numpy(dtype=float) * (1.0 if items_better == "higher" else -1.0)
    for item, column in zip(items, exog.T):  # OrderedModel would take a constant item for an intercept
        if len(column) == 0 or np.ptp(column) == 0:
            raise ValueError(f"item {item!r} has no variation among complete cases")
    return complete, levels, endog, exog


def _levels(values: pd.Series, reverse: bool) -> list[Any]:
    """The observed outcome levels, worst first: category order (or sorted), reversed if 'lower' is better."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        levels = [level for level in values.cat.categories if (values == level).any()]
    else:
        levels = sorted(values.unique().tolist())
    if len(levels) < 2:
        raise ValueError("the outcome needs at least two observed levels")
    return levels[::-1] if reverse else levels


def _fit(endog: np.ndarray, exog: np.ndarray, weights: np.ndarray | None
         ) -> tuple[OrderedModel, np.ndarray, bool, tuple[str, ...]]:
    """Fit by Newton's method (until no parameter moves by 1e-8).

    ConvergenceWarnings become a False flag and a note; other warnings propagate.
    """
    model = (OrderedModel(endog, exog, distr="logit") if weights is None else
             WeightedOrderedModel(endog, exog, weights / weights.mean(), distr="logit"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = model.fit(method="newton", maxiter=200, tol=1e-8, disp=False)
    notes = []
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            notes.append(f"not_converged: {warning.message}")
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    converged = bool(result.mle_retvals.get("converged", False)) and not notes
    if not converged and not notes:
        notes.append("not_converged")
    return model, np.asarray(result.params, dtype=float), converged, tuple(notes)


def _covariance(model: OrderedModel, params: np.ndarray, design: Design | None,
                complete: np.ndarray) -> np.ndarray:
    """Inverse information without a design; else (-H)^-1 B (-H)^-1, B the design covariance of the scores."""
    bread = np.linalg.inv(-model.hessian(params))
    if design is None:
        return bread
    scores = np.zeros((design.n, len(params)))
    scores[complete] = model.score_obs(params)
    return bread @ linearised_covariance(design, scores) @ bread


def _drivers(items: tuple[str, ...], beta: np.ndarray, covariance: np.ndarray, exog: np.ndarray,
             weights: np.ndarray | None, df: int | None) -> tuple[Driver, ...]:
    """Per-item coefficients, tests, odds ratios and importance ranks."""
    se = np.sqrt(np.diag(covariance))
    statistic = beta / se
    law = stats.norm if df is None else stats.t(df)
    p_value, critical = 2 * law.sf(np.abs(statistic)), law.ppf(0.975)
    spread = (exog.std(axis=0, ddof=1) if weights is None else
              np.sqrt(np.cov(exog, rowvar=False, aweights=weights, ddof=0).reshape(len(items), -1).diagonal()))
    standardized = beta * spread
    ranks = np.empty(len(items), dtype=int)
    ranks[np.argsort(-np.abs(standardized), kind="stable")] = np.arange(1, len(items) + 1)
    with np.errstate(over="ignore"):  # a diverging (separated) fit gives infinite odds ratios
        odds = np.exp(np.column_stack([beta, beta - critical * se, beta + critical * se]))
    return tuple(
        Driver(item, float(b), float(s), float(z), float(p), *map(float, o), float(std), int(rank))
        for item, b, s, z, p, o, std, rank in zip(items, beta, se, statistic, p_value, odds, standardized, ranks)
    )


def _thresholds(model: OrderedModel, params: np.ndarray, covariance: np.ndarray, k: int
                ) -> tuple[list[float], list[float]]:
    """The cut-points zeta and their SEs by the delta method from the log-increment parameters."""
    zeta = model.transform_threshold_params(params)[1:-1]
    raw = params[k:]
    jacobian = np.tril(np.ones((len(raw), len(raw))) * np.r_[1.0, np.exp(raw[1:])])
    variance = jacobian @ covariance[k:, k:] @ jacobian.T
    return [float(z) for z in zeta], [float(s) for s in np.sqrt(np.diag(variance))]
