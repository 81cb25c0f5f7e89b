"""The R reference cases: CSV data, expected.json (6 significant figures) and r_raw.json.

The folder is ``$SURVEYAPP_REFERENCE_DIR`` when set, otherwise the copy in
``tests/data/reference/`` (a clean clone has no ``../shared``), otherwise
``<repo>/../shared/reference``. Tests compare with the full-precision ``r_raw.json``
values; ``expected.json`` holds the same R outputs rounded to 6 significant figures.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
COPY = REPO / "tests" / "data" / "reference"
SHARED = REPO.parent / "shared" / "reference"


def reference_dir() -> Path:
    """The folder holding the reference files."""
    if os.environ.get("SURVEYAPP_REFERENCE_DIR"):
        return Path(os.environ["SURVEYAPP_REFERENCE_DIR"])
    return COPY if COPY.is_dir() else SHARED


def load_csv(name: str) -> pd.DataFrame:
    """A case's data, e.g. ``load_csv("case_b_design")``."""
    return pd.read_csv(reference_dir() / (name if name.endswith(".csv") else name + ".csv"))


@lru_cache(maxsize=None)
def _json(name: str) -> dict[str, Any]:
    with open(reference_dir() / name, encoding="utf-8") as handle:
        return json.load(handle)


def expected(case: str) -> dict[str, Any]:
    """The rounded ``expected`` block of a case, by letter: ``expected("b")``."""
    key = next(k for k in _json("expected.json") if k.startswith(f"case_{case}_"))
    return _json("expected.json")[key]["expected"]


def raw(case: str) -> dict[str, Any]:
    """The full-precision R values of a case, by letter: ``raw("b")``."""
    return _json("r_raw.json")[f"case_{case}"]


def number(value: Any) -> float:
    """A number from r_raw.json, where R matrices appear as ``[[x]]``."""
    while isinstance(value, list):
        (value,) = value
    return float(value)


def leaves(tree: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every scalar of a nested dict/list, keyed by its path."""
    if isinstance(tree, dict):
        return {k: v for key, sub in tree.items() for k, v in leaves(sub, prefix + (key,)).items()}
    if isinstance(tree, list) and not (len(tree) == 1 and isinstance(tree[0], list)):
        return {k: v for i, sub in enumerate(tree) for k, v in leaves(sub, prefix + (str(i),)).items()}
    return {prefix: tree}
