"""The tables of a CSV export and their columns, worked out from the questionnaire versions.

The main table has one row per response; each roster (repeat group) has a table of its
own with one row per entry, linked to its response by ``response_id`` and numbered from 1
in ``<roster>_index``. Answers are coded alike in every table: select_multiple and rank
give one column per choice (``name/value``: 0/1, or the rank). The main table counts each
roster's entries in ``<roster>_count`` and fills XLSForm's start, end and today rows from
the response's own times. Pure: no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from surveyapp.analysis.plan import TIMEZONE
from surveyapp.questionnaire.schema import Group, Question, Questionnaire as Form, Repeat
from surveyapp.questionnaire.vocabulary import TIMING_META

MAIN = "main"
META = ("response_id", "version", "channel", "mode", "started_at", "submitted_at")
SPLIT_TYPES = {"select_multiple", "rank"}
SKIPPED_TYPES = {"note"}


@dataclass(frozen=True)
class Column:
    """One exported column and where its value comes from.

    ``question`` with ``choice`` is one choice of a split question; ``roster`` alone is the
    count of a roster's entries.
    """

    name: str
    form: Form
    question: Question | None = None
    choice: str | None = None
    roster: Repeat | None = None

    def value(self, answers: dict[str, Any], times: dict[str, str | None]) -> Any:
        """The cell for one response (or roster entry): ``answers`` and the response's times."""
        if self.roster is not None:
            entries = answers.get(self.roster.name)
            return len(entries) if isinstance(entries, list) else None
        if self.question.type in TIMING_META:
            return times.get(self.question.type)
        answer = answers.get(self.question.name)
        if self.choice is None or answer is None:
            return answer
        if self.question.type == "rank":
            return answer.index(self.choice) + 1 if self.choice in answer else None
        return 1 if self.choice in answer else 0


@dataclass(frozen=True)
class Table:
    """One table of the export: the main table or a roster's."""

    name: str
    columns: tuple[Column, ...]
    roster: Repeat | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """The leading columns that are not answers: metadata, or the response link and entry number."""
        return META if self.roster is None else ("response_id", index_column(self))

    @property
    def header(self) -> list[str]:
        return [*self.keys, *(c.name for c in self.columns)]


def index_column(table: Table) -> str:
    """``<roster>_index``, or a free variant when an entry question already has that name."""
    taken = {c.name for c in table.columns} | {"response_id"}
    return _free(f"{table.name}_index", taken)


def _free(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3`` … when it is taken."""
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}_{number}", number + 1
    return candidate


def _level(items) -> Iterator[Question | Repeat]:
    """Questions and rosters of one level in document order (groups entered, rosters not)."""
    for item in items:
        if isinstance(item, Group):
            yield from _level(item.children)
        else:
            yield item


def _choices(form: Form, question: Question) -> list[str]:
    values = [c.value for c in form.choices.get(question.list_name or "", ())]
    return values + (["other"] if question.or_other else [])


def _question_columns(form: Form, question: Question) -> list[Column]:
    if question.type in SPLIT_TYPES:
        return [Column(f"{question.name}/{c}", form, question, c) for c in _choices(form, question)]
    return [Column(question.name, form, question)]


def _columns(items_by_form: list[tuple[Form, tuple]]) -> list[Column]:
    """Columns over the versions (newest first); a name seen once is not repeated."""
    out: list[Column] = []
    seen: set[str] = set()
    counts = []
    for form, items in items_by_form:
        for item in _level(items):
            if item.name in seen or getattr(item, "type", None) in SKIPPED_TYPES:
                continue
            seen.add(item.name)
            if isinstance(item, Repeat):
                counts.append((len(out), form, item))
            else:
                out += _question_columns(form, item)
    taken = {c.name for c in out} | set(META)
    for position, form, roster in reversed(counts):  # each count where its roster stands
        name = _free(f"{roster.name}_count", taken)
        taken.add(name)
        out.insert(position, Column(name, form, roster=roster))
    return out


def tables(forms: list[Form]) -> dict[str, Table]:
    """The main table and each roster's (by roster name), over all versions, newest first."""
    out = {MAIN: Table(MAIN, tuple(_columns([(f, f.items) for f in forms])))}
    for form in forms:
        for roster in form.repeats():
            if roster.name not in out:
                items = [(f, r.children) for f in forms for r in f.repeats() if r.name == roster.name]
                out[roster.name] = Table(roster.name, tuple(_columns(items)), roster)
    return out


def response_times(started: dt.datetime | None, submitted: dt.datetime | None) -> dict[str, str | None]:
    """What XLSForm's start, end and today rows hold: the response's own times (today in China time)."""
    today = None
    if submitted is not None:  # SQLite gives the stored UTC time back without its offset
        aware = submitted if submitted.tzinfo is not None else submitted.replace(tzinfo=dt.timezone.utc)
        today = aware.astimezone(ZoneInfo(TIMEZONE)).date().isoformat()
    return {"start": _iso(started), "end": _iso(submitted), "today": today}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
