"""A survey design and the linearised (Taylor) variance every weighted estimate uses.

``Design`` holds, per respondent, the sampling weight and optionally the stratum,
the primary sampling unit (cluster) and the finite population correction. The
variance of an estimator is computed from its influence values ``z`` (one row per
respondent, one column per estimated quantity): sum them within PSUs, centre
them within strata and add up, with-replacement at the PSU stage, as R's
``survey`` package does:

    V = sum_h (1 - f_h) * n_h / (n_h - 1) * sum_j (z_hj - mean_h z)(z_hj - mean_h z)'

Domains (subgroups) are estimated by zeroing the influence values outside the
domain while keeping every row, never by subsetting the design first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class Design:
    """Weights, strata, PSUs and FPC for n respondents (arrays of length n).

    ``fpc`` is either the population size of each row's stratum (values >= 1,
    counted in PSUs) or the sampling fraction (values < 1); ``None`` means
    sampling with replacement (no correction).
    """

    weights: np.ndarray
    strata: np.ndarray | None = None
    clusters: np.ndarray | None = None
    fpc: np.ndarray | None = None

    @classmethod
    def srs(cls, n: int) -> Design:
        """A simple random sample of n with equal weights of 1."""
        return cls(np.ones(n))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, weight: str | None = None, strata: str | None = None,
                   cluster: str | None = None, fpc: str | None = None) -> Design:
        """A design from columns of ``frame`` (each argument a column name or None)."""
        weights = np.ones(len(frame)) if weight is None else frame[weight].to_numpy(dtype=float)
        return cls(
            weights=weights,
            strata=None if strata is None else frame[strata].astype(str).to_numpy(),
            clusters=None if cluster is None else frame[cluster].astype(str).to_numpy(),
            fpc=None if fpc is None else frame[fpc].to_numpy(dtype=float),
        )

    @property
    def n(self) -> int:
        """The number of respondents (rows)."""
        return len(self.weights)

    @property
    def is_simple(self) -> bool:
        """No strata, no clusters, no FPC and equal weights: a simple random sample."""
        return (self.strata is None and self.clusters is None and self.fpc is None
                and bool(np.all(self.weights == self.weights[0])) if self.n else True)

    def subset(self, mask: np.ndarray) -> Design:
        """The design restricted to ``mask`` rows (for complete-case analyses, not domains)."""
        pick = (lambda a: None if a is None else a[mask])
        return Design(self.weights[mask], pick(self.strata), pick(self.clusters), pick(self.fpc))

    def _stratum_keys(self) -> np.ndarray:
        return np.zeros(self.n, dtype=int) if self.strata is None else pd.factorize(self.strata)[0]

    def _psu_keys(self) -> np.ndarray:
        if self.clusters is None:
            return np.arange(self.n)
        # PSU labels are taken as nested within strata (R's nest=TRUE).
        pairs = pd.MultiIndex.from_arrays([self._stratum_keys(), self.clusters])
        return pd.factorize(pairs)[0]

    @property
    def psu_count(self) -> int:
        """The number of primary sampling units."""
        return int(len(np.unique(self._psu_keys())))

    @property
    def strata_count(self) -> int:
        """The number of strata (1 without strata)."""
        return int(len(np.unique(self._stratum_keys())))

    @property
    def degrees_of_freedom(self) -> int:
        """Design degrees of freedom: #PSU - #strata (n - 1 for a simple random sample)."""
        return self.psu_count - self.strata_count

    def kish_deff(self) -> float:
        """Kish's design effect of the weights alone: n * sum(w^2) / sum(w)^2."""
        w = self.weights
        return float(self.n * np.sum(w ** 2) / np.sum(w) ** 2)

    def effective_n(self) -> float:
        """Kish's effective sample size of the weights: sum(w)^2 / sum(w^2)."""
        w = self.weights
        return float(np.sum(w) ** 2 / np.sum(w ** 2))


def linearised_covariance(design: Design, z: np.ndarray) -> np.ndarray:
    """The with-replacement PSU covariance of the totals of influence values ``z``.

    ``z`` is n x k (or length n); returns a k x k matrix (1 x 1 for a vector).
    Strata with a single PSU contribute nothing (R's ``lonely.psu = "certainty"``).
    """
    z = np.asarray(z, dtype=float).reshape(design.n, -1)
    strata, psus = design._stratum_keys(), design._psu_keys()
    psu_totals = pd.DataFrame(z).groupby(psus, sort=False).sum()
    psu_stratum = pd.Series(strata).groupby(psus, sort=False).first().loc[psu_totals.index].to_numpy()
    fraction = _sampling_fraction(design, strata, psus)
    k = z.shape[1]
    total = np.zeros((k, k))
    for h in np.unique(psu_stratum):
        block = psu_totals.to_numpy()[psu_stratum == h]
        n_h = len(block)
        if n_h < 2:
            continue
        centred = block - block.mean(axis=0)
        total += (1 - fraction.get(h, 0.0)) * n_h / (n_h - 1) * centred.T @ centred
    return total


def _sampling_fraction(design: Design, strata: np.ndarray, psus: np.ndarray) -> dict[int, float]:
    """f_h per stratum from the FPC column (population size in PSUs, or a fraction)."""
    if design.fpc is None:
        return {}
    fractions = {}
    for h in np.unique(strata):
        rows = strata == h
        value = float(design.fpc[rows][0])
        n_h = len(np.unique(psus[rows]))
        fractions[int(h)] = value if value < 1 else n_h / value
    return fractions
