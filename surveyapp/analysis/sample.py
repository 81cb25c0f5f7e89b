"""The sample an analysis uses: responses screened for quality, then weighted by the plan.

``prepare`` applies the plan's quality rules (flagged responses are left out by
default and counted) and its ``weighting`` section. ``plan_design`` turns the plan's ``weighting`` section into a ``Design`` over the
responses that can be weighted: one margin is post-stratification, several are
raked, then weights are trimmed when the plan asks. Respondents whose answer to
a margin question is missing or not among the population's categories (e.g.
不愿回答 for sex) cannot be weighted: they are left out of weighted estimates and
counted in the summary, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from surveyapp.analysis.design import Design
from surveyapp.analysis.plan import Plan, Weighting
from surveyapp.analysis.quality import screen
from surveyapp.analysis.weighting import Calibration, calibration, poststratify, rake, trim, weight_summary


@dataclass(frozen=True)
class Sample:
    """The rows estimates use, their design (None: unweighted, a simple random sample), the
    calibration of raked weights, and what screening and weighting did (for the method text)."""

    frame: pd.DataFrame
    design: Design | None = None
    calibration: Calibration | None = None
    weighting: dict[str, Any] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    rosters: Mapping[str, Any] = field(default_factory=dict)
    """Roster name -> ``rosters.Roster`` (``Dataset.rosters``): for indicators over entries;
    only the entries of the responses in ``frame`` are used."""

    @classmethod
    def of(cls, frame: pd.DataFrame | Sample) -> Sample:
        """A sample as it is: every row, unweighted (a Sample is returned unchanged)."""
        return frame if isinstance(frame, Sample) else cls(frame.reset_index(drop=True))

    def where(self, mask: np.ndarray | pd.Series) -> Sample:
        """The sub-sample of the rows in ``mask`` (an independent sample such as a wave, not a domain)."""
        mask = np.asarray(mask, dtype=bool)
        calibration = None if self.calibration is None else Calibration(
            self.calibration.x[mask], self.calibration.base_weights[mask])
        design = None if self.design is None else self.design.subset(mask)
        return Sample(self.frame[mask].reset_index(drop=True), design, calibration, self.weighting, self.quality,
                      self.rosters)


def prepare(frame: pd.DataFrame, plan: Plan, batteries: Mapping[str, Iterable[str]] | None = None,
            rosters: Mapping[str, Any] | None = None) -> Sample:
    """Screen ``frame`` by the plan's quality rules, then weight what is kept by its weighting.

    ``rosters`` (``Dataset.rosters``) go with the sample, for indicators over entries: only the
    entries of the responses kept are used."""
    screened = screen(frame, batteries or {}, plan.quality)
    weighted = plan_design(screened.frame, plan.weighting)
    return Sample(weighted.frame, weighted.design, weighted.calibration, weighted.weighting, screened.summary,
                  rosters or {})


def plan_design(frame: pd.DataFrame, weighting: Weighting) -> Sample:
    """Weights and design for ``frame`` by the plan; unweighted (design None) without margins."""
    if not weighting.is_weighted:
        design = _design(frame, np.ones(len(frame)), weighting) if weighting.strata or weighting.cluster else None
        return Sample(frame, design, None, {"weighted": False, "n": len(frame)})
    usable = np.ones(len(frame), dtype=bool)
    for name, counts in weighting.margins.items():
        usable &= frame[name].astype(object).isin(list(counts)).to_numpy()
    used = frame[usable].reset_index(drop=True)
    if used.empty:
        raise ValueError("no response can be weighted: every one lacks a category of the margins")
    weights = _fit(used, weighting)
    summary = {"weighted": True, "method": "poststratify" if len(weighting.margins) == 1 else "rake",
               "margins": list(weighting.margins), "n": len(frame), "n_weighted": len(used),
               "n_unweighted": int((~usable).sum()), "trim_upper": weighting.trim_upper,
               **{f"weights_{k}": v for k, v in weight_summary(weights).items() if k != "n"}}
    # The calibration makes standard errors account for the raking (GREG residuals).
    columns = pd.DataFrame({name: used[name].astype(object) for name in weighting.margins})
    return Sample(used, _design(used, weights.to_numpy(), weighting),
                  calibration(columns, list(weighting.margins), None), summary)


TRIM_ROUNDS = 20


def _fit(frame: pd.DataFrame, weighting: Weighting) -> pd.Series:
    """Calibrated weights; with a cap, trim and calibrate again until both (nearly) hold.

    Trimming alone would break the margins; alternating keeps the margins exact and
    brings the largest weight down to the cap (the last calibration may exceed it a little:
    the summary reports the largest weight).
    """
    columns = pd.DataFrame({name: frame[name].astype(object) for name in weighting.margins})
    weights = _calibrate(columns, weighting.margins, None)
    for _ in range(TRIM_ROUNDS if weighting.trim_upper is not None else 0):
        if weights.max() <= weighting.trim_upper * weights.mean() * (1 + 1e-6):
            break
        trimmed = trim(weights, upper=weighting.trim_upper, relative_to=float(weights.mean()))
        weights = _calibrate(columns, weighting.margins, trimmed)
    return weights


def _calibrate(columns: pd.DataFrame, margins: dict[str, dict[str, float]], base: pd.Series | None) -> pd.Series:
    if len(margins) == 1:
        (name, counts), = margins.items()
        return poststratify(columns, base, name, counts)
    result = rake(columns, base, margins)
    if not result.converged:
        raise ValueError(f"raking did not converge in {result.iterations} sweeps (error {result.max_error:.2g})")
    return result.weights


def _design(frame: pd.DataFrame, weights: np.ndarray, weighting: Weighting) -> Design:
    def column(name: str | None) -> np.ndarray | None:
        return None if name is None else frame[name].astype(str).to_numpy()

    return Design(weights, column(weighting.strata), column(weighting.cluster))
