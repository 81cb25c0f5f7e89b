"""Result records of the analysis layer: plain frozen dataclasses, JSON-ready.

Results hold full-precision numbers only; rounding, percentages and "—" marks
belong to the report renderers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


def json_ready(value: Any) -> Any:
    """Plain JSON values: numpy scalars as Python numbers, NaN and infinities as None,
    tuples as lists, mapping keys as strings."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def record_dict(record: Any, **more: Any) -> dict[str, Any]:
    """A result dataclass as a JSON-ready dict: its ``extra`` merged in at the top level, then ``more``."""
    data = asdict(record)
    data.update(data.pop("extra", {}), **more)
    return json_ready(data)


@dataclass(frozen=True)
class Estimate:
    """A proportion, mean or total with its uncertainty.

    ``n`` is the unweighted base (valid answers counted); ``se`` the standard
    error (design-based when a design is given); ``ci_low``/``ci_high`` the
    interval at ``level`` computed by ``method``; ``df`` the degrees of freedom
    used for t-based intervals; ``deff`` the design effect when weighted.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    method: str
    level: float = 0.95
    df: float | None = None
    deff: float | None = None
    sum_weights: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``extra`` entries are merged in at the top level."""
        return record_dict(self)


@dataclass(frozen=True)
class TestResult:
    """A significance test: statistic, degrees of freedom and p-value."""

    name: str
    statistic: float
    p_value: float
    df: float | None = None
    ddf: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``extra`` entries are merged in at the top level."""
        return record_dict(self)
