"""Rosters (repeat groups) as tables of their own: one row per entry, linked to its response.

A roster's frame has ``_id`` (the response id, as in the main frame), ``<roster>_index``
(the entry's number, from 1) and one column per question, typed exactly as in the main
frame. An indicator over a roster question counts entries, not respondents: its base is
the entries with a valid answer, and its interval treats the entries of one response as a
cluster (they are not independent draws). Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveyapp.analysis import estimates
from surveyapp.analysis.design import Design
from surveyapp.analysis.frame import DEFAULT_NON_SUBSTANTIVE, SKIPPED_TYPES, Variable, _choices, _concatenated, _typed
from surveyapp.analysis.plan import Indicator
from surveyapp.analysis.results import Estimate
from surveyapp.questionnaire.schema import Questionnaire


@dataclass(frozen=True)
class Roster:
    """One roster's entries as a typed frame, with the codebook of its questions."""

    name: str
    frame: pd.DataFrame
    variables: dict[str, Variable]

    @property
    def index_column(self) -> str:
        return f"{self.name}_index"


def roster_names(forms: Sequence[Questionnaire]) -> list[str]:
    """Every roster over the versions (newest first), in document order."""
    return list(dict.fromkeys(r.name for form in forms for r in form.repeats()))


def roster_codebook(forms: Sequence[Questionnaire], name: str,
                    non_substantive: Iterable[str] = DEFAULT_NON_SUBSTANTIVE) -> dict[str, Variable]:
    """The variables of roster ``name``'s questions over the versions; the newest wording wins."""
    codes = frozenset(non_substantive)
    variables: dict[str, Variable] = {}
    for form in forms:
        for roster in (r for r in form.repeats() if r.name == name):
            for question in roster.questions():
                if question.type in SKIPPED_TYPES or question.name in variables:
                    continue
                choices = _choices(form, question)
                variables[question.name] = Variable(question.name, question.type, question.label, choices,
                                                    frozenset(c for c, _ in choices if c in codes))
    return variables


def build_roster(name: str, ids: Sequence[Any], documents: Sequence[dict[str, Any]],
                 forms: Sequence[Questionnaire], non_substantive: Iterable[str] = DEFAULT_NON_SUBSTANTIVE) -> Roster:
    """Roster ``name`` of the responses ``ids`` whose answer documents are ``documents``."""
    variables = roster_codebook(forms, name, non_substantive)
    owners, numbers, entries = [], [], []
    for response_id, document in zip(ids, documents):
        listed = document.get(name) if isinstance(document, dict) else None
        for number, entry in enumerate(listed if isinstance(listed, list) else [], 1):
            owners.append(response_id)
            numbers.append(number)
            entries.append(entry)
    columns: dict[str, Any] = {"_id": pd.array(owners, dtype="Int64"),
                               f"{name}_index": pd.array(numbers, dtype="Int64")}
    for variable in variables.values():
        raw = np.fromiter((e.get(variable.name) for e in entries), dtype=object, count=len(entries))
        for column, values in _typed(variable, raw).items():
            typed = _concatenated([values])
            columns[column] = typed.array if isinstance(typed, pd.Series) else typed
    return Roster(name, pd.DataFrame(columns, index=pd.RangeIndex(len(entries))), variables)


def entry_estimate(indicator: Indicator, roster: Roster, response_ids: Iterable[Any] | None = None,
                   level: float = 0.95) -> Estimate:
    """A rate (or score) over roster entries: entries with a positive answer / entries answering.

    The standard error is linearised with each response as a cluster of its entries (a
    ratio estimator over clusters), with t on #responses − 1 degrees of freedom. ``n`` is
    the number of entries in the base; ``extra["clusters"]`` the responses they come from.

    :param response_ids: only the entries of these responses (e.g. those kept by quality
        screening); default: every entry.
    """
    from surveyapp.analysis.indicators import indicator_values  # indicators imports this module

    frame = roster.frame
    if response_ids is not None:
        frame = frame[frame["_id"].isin(list(response_ids))].reset_index(drop=True)
    values = indicator_values(indicator, frame)
    valid = values.notna().to_numpy()
    clusters = frame["_id"].astype(str).to_numpy()
    extra = {"base": "entries", "roster": roster.name, "clusters": int(len(set(clusters[valid])))}
    if extra["clusters"] < 2:  # no between-response variation to estimate from
        return Estimate(float(values.mean()) if valid.any() else float("nan"), float("nan"), float("nan"),
                        float("nan"), int(valid.sum()), "none", level, extra=extra)
    design = Design(np.ones(len(frame)), clusters=clusters)
    if indicator.kind in ("rate", "top2"):
        result = estimates.proportion(values.to_numpy(dtype=float), design, level=level)
    else:
        result = estimates.mean(values.to_numpy(dtype=float), design, level=level)
    return Estimate(result.estimate, result.se, result.ci_low, result.ci_high, result.n, result.method,
                    result.level, result.df, result.deff, result.sum_weights, {**result.extra, **extra})
