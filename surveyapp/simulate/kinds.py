"""The simulator's rosters and its time, datetime and range answers (a mixin of the engine).

A roster with ``repeat_count`` gets exactly that many entries, worked out as the validator
does; one without gets 0 to 3 (``ENTRY_WEIGHTS``). Each entry is walked like a small
response of its own: its questions see the entry's answers first, then the response's, and
``position(..)`` is the entry's number.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from surveyapp.questionnaire.expressions import Env, NodeSet, to_number
from surveyapp.questionnaire.types import RANGE_DEFAULTS
from surveyapp.questionnaire.validate import storable

ENTRY_WEIGHTS = (0.35, 0.35, 0.2, 0.1)
"""Chance of 0, 1, 2 and 3 entries in a roster without ``repeat_count``."""
TRIES = 12
# Hours of the day a time answer falls in (waking hours more often), with their weights.
HOURS = tuple(range(24))
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 6, 6, 6, 6, 5, 5, 6, 6, 6, 7, 8, 9, 9, 8, 5, 2)


def computed(step, env: Env) -> Any:
    """A calculation's (or hidden question's) value as the validator stores it."""
    if step.expr is not None:
        return storable(step.expr.evaluate(env))
    return step.question.default


def range_values(question) -> list[float]:
    """Every value a range question accepts, from ``start`` to ``end`` on ``step``."""
    start, end, step = (float(question.parameters.get(k, RANGE_DEFAULTS[k])) for k in ("start", "end", "step"))
    if step == 0 or (end - start) / step < 0:
        return [start] if start == end else []
    count = int(math.floor((end - start) / step + 1e-9)) + 1
    integral = all(v.is_integer() for v in (start, end, step))
    values = [start + k * step for k in range(min(count, 10_000))]
    return [int(v) for v in values] if integral else [round(v, 10) for v in values]


class RosterKinds:
    """Methods of ``_Simulator`` for rosters and for the time, datetime and range types."""

    def _roster(self, step, person) -> None:
        number = self._entry_count(step, person)
        entries = []
        for position in range(1, number + 1):
            entry = type(person)(person.today, person.cats, person.disposition, person.straight, person.speeder,
                                 {}, outer=person.values, position=position)
            self._walk(entry, step.entry_steps)
            entries.append(entry.own)
        person.own[step.name] = entries
        self._publish(step, person, entries)

    @staticmethod
    def _publish(step, person, entries: list[dict]) -> None:
        """What the response's later expressions see of the roster, as in the validator."""
        person.nodes[step.name] = NodeSet("" for _ in entries)
        for name in step.members:
            person.nodes[name] = NodeSet(entry.get(name) for entry in entries)

    def _entry_count(self, step, person) -> int:
        if step.count is None:
            return self.rng.choices(range(len(ENTRY_WEIGHTS)), ENTRY_WEIGHTS)[0]
        number = to_number(step.count.evaluate(person.env))
        return int(number) if math.isfinite(number) and number > 0 else 0

    def _clock(self) -> str:
        hour = self.rng.choices(HOURS, HOUR_WEIGHTS)[0]
        return f"{hour:02d}:{self.rng.randrange(60):02d}"

    def _time(self, step, person, required: bool):
        if self._skips(required):
            return None
        return self._first_ok(step, person, [self._clock() for _ in range(TRIES)])

    def _datetime(self, step, person, required: bool):
        if self._skips(required):
            return None
        today = dt.date.fromisoformat(person.today)
        days = [self.rng.randrange(365) for _ in range(TRIES)]
        return self._first_ok(step, person, [f"{(today - dt.timedelta(d)).isoformat()}T{self._clock()}" for d in days])

    def _range(self, step, person, required: bool):
        if self._skips(required):
            return None
        values = range_values(step.question)
        if not values:
            return None
        tries = [self.rng.choice(values) for _ in range(TRIES)]
        return self._first_ok(step, person, tries + self.rng.sample(values, min(len(values), 50)))
