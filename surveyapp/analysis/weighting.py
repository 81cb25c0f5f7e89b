"""Weighting to population figures: post-stratification, raking (IPF), trimming, and
calibration-aware estimates.

Levels are matched by their string form, so a margins CSV with ``level`` 1 matches an
integer column. Rows with a missing weighting variable cannot be weighted: it is an error.
A calibrated estimate's SE uses the residuals of a regression on the calibration dummies
fitted with the base weights (GREG; README §3.3), as R's ``rake``/``postStratify`` do.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveyapp.analysis.design import Design
from surveyapp.analysis.estimates import mean, proportion, total
from surveyapp.analysis.results import Estimate

Margins = dict[str, dict[Any, float]]


@dataclass(frozen=True)
class RakeResult:
    """Raked weights, the IPF sweeps used, and the largest relative margin error left."""

    weights: pd.Series
    iterations: int
    converged: bool
    max_error: float


@dataclass(frozen=True, eq=False)
class Calibration:
    """The calibration dummies ``x`` (n x p) and base weights of a raked or post-stratified design."""

    x: np.ndarray
    base_weights: np.ndarray

    def residuals(self, u: np.ndarray) -> np.ndarray:
        """Residuals of ``u`` from its regression on ``x`` weighted by the base weights."""
        root = np.sqrt(self.base_weights)
        beta = np.linalg.lstsq(self.x * root[:, None], u * root, rcond=None)[0]
        return u - self.x @ beta


def margins_from_frame(frame: pd.DataFrame) -> Margins:
    """Margins from a "margins CSV" frame with columns margin, level, pop_total."""
    missing = {"margin", "level", "pop_total"} - set(frame.columns)
    if missing:
        raise ValueError(f"the margins table lacks the column(s) {', '.join(sorted(missing))}")
    duplicated = frame[frame.duplicated(["margin", "level"])]
    if len(duplicated):
        row = duplicated.iloc[0]
        raise ValueError(f"margin {row['margin']!r}: level {row['level']!r} is listed twice")
    margins: Margins = {}
    for row in frame.itertuples(index=False):
        margins.setdefault(str(row.margin), {})[str(row.level)] = float(row.pop_total)
    return margins


def poststratify(frame: pd.DataFrame, base_weight: str | pd.Series | None, by: str | list[str],
                 population: dict[Any, float] | pd.DataFrame) -> pd.Series:
    """Weights scaled within each cell of ``by`` so that they add up to the population count.

    :param population: {level: count} (tuples of levels when ``by`` is a list), or a frame with
        the ``by`` columns and one count column.
    """
    columns = [by] if isinstance(by, str) else list(by)
    if isinstance(population, pd.DataFrame):
        counts = population.drop(columns=columns)
        if counts.shape[1] != 1:
            raise ValueError("the population frame needs the 'by' columns and exactly one count column")
        keys = population[columns].itertuples(index=False, name=None)
        population = dict(zip(keys, counts.iloc[:, 0].astype(float)))
    name = " x ".join(columns)
    targets = {_key(k): float(v) for k, v in population.items()}
    cells = pd.Series(_cell_keys(frame, columns), index=frame.index)
    weights = _base_weights(frame, base_weight)
    index, target = _match_levels(cells, targets, weights, name)
    current = np.bincount(index, weights=weights, minlength=len(target))
    return pd.Series(weights * (target / current)[index], index=frame.index, name="weight")


def rake(frame: pd.DataFrame, base_weight: str | pd.Series | None, margins: Margins,
         max_iter: int = 200, tol: float = 1e-12) -> RakeResult:
    """Iterative proportional fitting of the base weights to every margin in turn.

    A sweep adjusts each margin once; raking stops when every margin is met to a relative
    error below ``tol``. ``converged`` is False when ``max_iter`` sweeps were not enough.
    """
    weights = _base_weights(frame, base_weight)
    _check_totals(margins)
    fitted = []
    for name, targets in margins.items():
        if name not in frame.columns:
            raise ValueError(f"margin {name!r} is not a column of the data")
        keys = pd.Series(_cell_keys(frame, [name]), index=frame.index)
        fitted.append(_match_levels(keys, {_key(k): float(v) for k, v in targets.items()}, weights, name))
    error = math.inf
    for sweep in range(1, max_iter + 1):
        for index, target in fitted:
            weights = weights * (target / np.bincount(index, weights=weights, minlength=len(target)))[index]
        error = max(float(np.max(np.abs(np.bincount(i, weights=weights, minlength=len(t)) / t - 1)))
                    for i, t in fitted)
        if error < tol:
            return RakeResult(pd.Series(weights, index=frame.index, name="weight"), sweep, True, error)
    return RakeResult(pd.Series(weights, index=frame.index, name="weight"), max_iter, False, error)


def trim(weights: pd.Series, lower: float | None = None, upper: float | None = None,
         relative_to: float | pd.Series | None = None, max_iter: int = 100) -> pd.Series:
    """Weights clipped to [lower, upper], the trimmed amount spread over the untrimmed weights.

    The total is kept. With ``relative_to`` (e.g. the base weights, or the mean weight) the
    bounds are ratios to it: ``upper=3, relative_to=base`` caps every weight at 3 × its base.
    """
    w = pd.Series(weights, dtype=float)
    scale = 1.0 if relative_to is None else np.asarray(relative_to, dtype=float)
    low = np.broadcast_to(-np.inf if lower is None else lower * scale, w.shape)
    high = np.broadcast_to(np.inf if upper is None else upper * scale, w.shape)
    values, goal = w.to_numpy(copy=True), w.sum()
    if low.sum() > goal * (1 + 1e-12) or high.sum() < goal * (1 - 1e-12):
        raise ValueError("the bounds cannot keep the total of the weights")
    for _ in range(max_iter):
        values = np.clip(values, low, high)
        excess = goal - values.sum()
        if abs(excess) <= 1e-12 * abs(goal):
            return pd.Series(values, index=w.index, name=w.name)
        free = (values > low) & (values < high)
        if not free.any():
            break
        values[free] *= 1 + excess / values[free].sum()
    raise ValueError(f"trimming could not keep the total within the bounds in {max_iter} iterations")


def weight_summary(weights: pd.Series | np.ndarray) -> dict[str, float]:
    """n, sum, mean, min, max, max/min ratio, Kish design effect and effective n of the weights."""
    w = np.asarray(weights, dtype=float)
    design = Design(w)
    return {"n": int(len(w)), "sum": float(w.sum()), "mean": float(w.mean()), "min": float(w.min()),
            "max": float(w.max()), "ratio": float(w.max() / w.min()) if w.min() > 0 else math.inf,
            "kish_deff": design.kish_deff(), "effective_n": design.effective_n()}


def calibration(frame: pd.DataFrame, columns: list[str], base_weight: str | pd.Series | None) -> Calibration:
    """The GREG projection for weights calibrated on the levels of ``columns``."""
    dummies = [pd.get_dummies(pd.Series(_cell_keys(frame, [c])), dtype=float) for c in columns]
    x = np.column_stack([np.ones(len(frame))] + [d.to_numpy() for d in dummies])
    return Calibration(x, _base_weights(frame, base_weight))


def calibrated_proportion(frame: pd.DataFrame, y: str, base_weight: str | pd.Series | None,
                          weights: pd.Series, margins: list[str], design: Design | None = None,
                          ci: str = "logit", level: float = 0.95, df: float | None = None) -> Estimate:
    """``proportion`` under raked or post-stratified ``weights``, with the calibration-aware SE.

    :param margins: the columns the weights were calibrated on.
    :param design: strata, PSUs and FPC (its weights are replaced); None: each row its own PSU.
    """
    return proportion(frame[y], _weighted(design, weights), ci, level, df,
                      calibration(frame, margins, base_weight))


def calibrated_mean(frame: pd.DataFrame, y: str, base_weight: str | pd.Series | None,
                    weights: pd.Series, margins: list[str], design: Design | None = None,
                    level: float = 0.95, df: float | None = None) -> Estimate:
    """``mean`` under calibrated ``weights`` with the calibration-aware SE (see ``calibrated_proportion``)."""
    return mean(frame[y], _weighted(design, weights), level, df,
                calibration(frame, margins, base_weight))


def calibrated_total(frame: pd.DataFrame, y: str, base_weight: str | pd.Series | None,
                     weights: pd.Series, margins: list[str], design: Design | None = None,
                     level: float = 0.95) -> Estimate:
    """``total`` under calibrated ``weights`` with the calibration-aware SE."""
    return total(frame[y], _weighted(design, weights), level,
                 calibration=calibration(frame, margins, base_weight))


def _weighted(design: Design | None, weights: pd.Series) -> Design:
    w = np.asarray(weights, dtype=float)
    return Design(w) if design is None else dataclasses.replace(design, weights=w)


def _base_weights(frame: pd.DataFrame, base_weight: str | pd.Series | None) -> np.ndarray:
    """The base weights as floats (all 1 when None); they must be finite and non-negative."""
    if base_weight is None:
        return np.ones(len(frame))
    w = (frame[base_weight] if isinstance(base_weight, str) else pd.Series(base_weight)).to_numpy(dtype=float)
    if len(w) != len(frame) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("base weights must be finite, non-negative and one per row")
    return w


def _key(level: Any) -> Any:
    """A level in the form of ``_cell_keys``: a string, or a tuple of strings (never a 1-tuple)."""
    if isinstance(level, tuple):
        return tuple(str(v) for v in level) if len(level) > 1 else str(level[0])
    return str(level)


def _cell_keys(frame: pd.DataFrame, columns: list[str]) -> list[Any]:
    """Each row's level (a string, or a tuple of strings for several columns)."""
    for column in columns:
        if frame[column].isna().any():
            raise ValueError(f"weighting variable {column!r} has {int(frame[column].isna().sum())} missing values")
    rows = frame[columns].astype(str).itertuples(index=False, name=None)
    return [row if len(columns) > 1 else row[0] for row in rows]


def _match_levels(keys: pd.Series, targets: dict[Any, float], weights: np.ndarray,
                  name: str) -> tuple[np.ndarray, np.ndarray]:
    """Row -> level index and the target per level, after checking both sides agree."""
    unknown = sorted(set(keys) - set(targets), key=str)
    if unknown:
        raise ValueError(f"margin {name!r}: level {unknown[0]!r} occurs in the data but has no population total")
    levels = list(targets)
    index = keys.map({level: i for i, level in enumerate(levels)}).to_numpy(dtype=int)
    target = np.array([targets[level] for level in levels])
    current = np.bincount(index, weights=weights, minlength=len(levels))
    for level, have, want in zip(levels, current, target):
        if not want > 0:
            raise ValueError(f"margin {name!r}: level {level!r} needs a positive population total, not {want}")
        if have <= 0:
            raise ValueError(f"margin {name!r}: level {level!r} has a population total but no respondents")
    return index, target


def _check_totals(margins: Margins) -> None:
    """Every margin must add up to the same population total."""
    sums = {name: sum(float(v) for v in targets.values()) for name, targets in margins.items()}
    first = next(iter(sums.values()), 0.0)
    for name, value in sums.items():
        if not math.isclose(value, first, rel_tol=1e-9):
            raise ValueError(f"margin totals disagree: {next(iter(sums))!r} sums to {first:g}, {name!r} to {value:g}")
