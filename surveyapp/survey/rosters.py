"""Rosters (repeat groups) on the resident's page: how many entries to show, and the
add and remove buttons of a page without JavaScript.

A roster with ``repeat_count`` shows exactly that many entries, computed from the
answers so far; one without it starts empty and the respondent adds and removes
entries. Pure Python: no Flask.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from surveyapp.questionnaire.compiled import Compiled
from surveyapp.questionnaire.expressions import Env, to_number
from surveyapp.questionnaire.schema import Repeat
from surveyapp.survey.formdata import MAX_ENTRIES


def wanted_count(compiled: Compiled, repeat: Repeat, values: dict[str, Any]) -> int | None:
    """The entries ``repeat_count`` asks for given cleaned ``values`` (None: no repeat_count)."""
    expr = compiled.expression(repeat.name, "count")
    if expr is None:
        return None
    number = to_number(expr.evaluate(Env(values)))
    return min(int(number), MAX_ENTRIES) if math.isfinite(number) and number > 0 else 0


class _Everything:
    """Contains every name: the relevance a blank entry's template is rendered with."""

    def __contains__(self, name: object) -> bool:
        return True


EVERYTHING = _Everything()


def fit_counts(compiled: Compiled, answers: dict[str, Any], values: dict[str, Any],
               repeats: Iterable[Repeat]) -> bool:
    """Give each counted roster of ``repeats`` as many entries in ``answers`` as its count
    asks for (new entries empty, surplus ones dropped); True when one changed."""
    changed = False
    for repeat in repeats:
        count = wanted_count(compiled, repeat, values)
        entries = answers.get(repeat.name) or []
        if count is None or count == len(entries):
            continue
        answers[repeat.name] = (list(entries) + [{} for _ in range(count)])[:count]
        changed = True
    return changed


def change_entries(compiled: Compiled, answers: dict[str, Any], add: str | None, remove: str | None) -> bool:
    """Apply a pressed 添加 (``add`` = roster name) or 删除 (``remove`` = ``name:number``)
    button to ``answers``; False when the button names no roster one may change."""
    rosters = {r.name: r for r in compiled.questionnaire.repeats() if r.count is None}
    if add in rosters:
        entries = list(answers.get(add) or [])
        if len(entries) >= MAX_ENTRIES:
            return False
        answers[add] = entries + [{}]
        return True
    name, _, number = (remove or "").partition(":")
    entries = list(answers.get(name) or [])
    if name not in rosters or not number.isdigit() or not 1 <= int(number) <= len(entries):
        return False
    del entries[int(number) - 1]
    answers[name] = entries
    return True


def keep_relevant(answers: dict[str, Any], relevant: frozenset[str]) -> dict[str, Any]:
    """``answers`` without those a changed answer made irrelevant, inside entries too."""
    kept: dict[str, Any] = {}
    for name, value in answers.items():
        if name not in relevant:
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = [{k: v for k, v in entry.items() if f"{name}[{n}].{k}" in relevant}
                     for n, entry in enumerate(value, start=1)]
        kept[name] = value
    return kept
