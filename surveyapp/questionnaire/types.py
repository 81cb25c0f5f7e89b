"""Question types: one small class each, in one registry.

A type says whether it takes a choice list, whether a respondent answers it,
and how a submitted raw value becomes the stored value (``clean``). Raw values
come from JSON (numbers, lists) or from HTML forms (strings), so ``clean``
accepts both where the meaning is unambiguous.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from surveyapp.questionnaire.schema import Choice, Question
from surveyapp.questionnaire.vocabulary import PRIVATE_META, TIMING_META

SHORT_TEXT_LIMIT = 500
LONG_TEXT_LIMIT = 2000
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# Only YYYY-MM-DD: Python 3.11's fromisoformat also takes week dates ("2026-W01-1").
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,3})?)?")
# A local date and time as a phone's datetime input gives it, optionally with an offset.
_DATETIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ](\S+?)(Z|[+-][0-9]{2}:?[0-9]{2})?")

QUESTION_TYPES: dict[str, type[QuestionType]] = {}


class AnswerError(ValueError):
    """A submitted value is wrong; ``code`` and ``params`` name the message."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


def register(name: str):
    """Class decorator adding a question type to the registry under ``name``."""
    def decorator(cls):
        cls.name = name
        QUESTION_TYPES[name] = cls
        return cls
    return decorator


_INSTANCES: dict[str, QuestionType] = {}


def get(name: str) -> QuestionType | None:
    """The (stateless, shared) instance of the type called ``name``, or None."""
    if name not in _INSTANCES:
        cls = QUESTION_TYPES.get(name)
        if cls is None:
            return None
        _INSTANCES[name] = cls()
    return _INSTANCES[name]


def is_empty(value: Any) -> bool:
    """Whether a raw value means 'no answer'."""
    if isinstance(value, str):
        return value.strip() == ""
    return value is None or value == [] or value == ()


class QuestionType:
    """Base class: a type that takes an answer but knows nothing about it."""

    name = ""
    takes_list = False
    answerable = True

    def clean(self, question: Question, raw: Any, allowed: Mapping[str, Choice] | None = None) -> Any:
        """Turn a non-empty raw value into the stored value, or raise AnswerError."""
        raise NotImplementedError


@register("note")
class Note(QuestionType):
    answerable = False


@register("calculate")
class Calculate(QuestionType):
    answerable = False


@register("hidden")
class Hidden(QuestionType):
    """A value the respondent never sees: its default (or calculation), stored with the response."""

    answerable = False


class Timing(QuestionType):
    """XLSForm's start, end and today: filled from the response's own times, never answered."""

    answerable = False


for _name in TIMING_META:
    register(_name)(type(f"Timing_{_name}", (Timing,), {}))


class Private(QuestionType):
    """Device or person metadata (deviceid, phonenumber, username …): accepted, never collected."""

    answerable = False


for _name in PRIVATE_META:
    register(_name)(type(f"Private_{_name}", (Private,), {}))


@register("text")
class Text(QuestionType):
    def clean(self, question, raw, allowed=None):
        if not isinstance(raw, str):
            raise AnswerError("expected_text")
        value = raw.strip()
        limit = LONG_TEXT_LIMIT if "multiline" in (question.appearance or "") else SHORT_TEXT_LIMIT
        if len(value) > limit:
            raise AnswerError("too_long", limit=limit, length=len(value))
        return value


@register("integer")
class Integer(QuestionType):
    def clean(self, question, raw, allowed=None):
        if isinstance(raw, bool):
            raise AnswerError("expected_integer")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, str) and _INTEGER.match(raw.strip()) and len(raw.strip()) <= 18:
            return int(raw.strip())
        raise AnswerError("expected_integer")


@register("decimal")
class Decimal(QuestionType):
    def clean(self, question, raw, allowed=None):
        if isinstance(raw, bool):
            raise AnswerError("expected_number")
        if isinstance(raw, (int, float)) and math.isfinite(raw):
            return raw
        if isinstance(raw, str) and _DECIMAL.match(raw.strip()) and len(raw.strip()) <= 30:
            return float(raw.strip())
        raise AnswerError("expected_number")


@register("date")
class Date(QuestionType):
    def clean(self, question, raw, allowed=None):
        if not isinstance(raw, str) or not _DATE.fullmatch(raw.strip()):
            raise AnswerError("expected_date")
        try:
            return dt.date.fromisoformat(raw.strip()).isoformat()
        except ValueError:
            raise AnswerError("expected_date") from None


@register("time")
class Time(QuestionType):
    """A time of day, HH:MM or HH:MM:SS, as entered."""

    def clean(self, question, raw, allowed=None):
        if not isinstance(raw, str) or not _TIME.fullmatch(raw.strip()):
            raise AnswerError("expected_time")
        return raw.strip()


@register("datetime")
class DateTime(QuestionType):
    """A date and time, YYYY-MM-DDTHH:MM[:SS][offset], as entered (a space for the T is accepted)."""

    def clean(self, question, raw, allowed=None):
        found = _DATETIME.fullmatch(raw.strip()) if isinstance(raw, str) else None
        if not found or not _TIME.fullmatch(found.group(2)):
            raise AnswerError("expected_datetime")
        try:
            dt.date.fromisoformat(found.group(1))
        except ValueError:
            raise AnswerError("expected_datetime") from None
        return f"{found.group(1)}T{found.group(2)}{found.group(3) or ''}"


RANGE_DEFAULTS = {"start": "1", "end": "10", "step": "1"}
"""A range's parameters when the row leaves them out (pyxform's defaults)."""


@register("range")
class Range(QuestionType):
    """A number from ``start`` to ``end`` in steps of ``step`` (the question's parameters)."""

    def clean(self, question, raw, allowed=None):
        start, end, step = (float(question.parameters.get(k, RANGE_DEFAULTS[k])) for k in ("start", "end", "step"))
        integral = all(float(v).is_integer() for v in (start, end, step))
        value = (Integer if integral else Decimal).clean(self, question, raw)
        low, high = min(start, end), max(start, end)
        steps = (value - start) / step
        if not (low <= value <= high) or abs(steps - round(steps)) > 1e-9:
            raise AnswerError("out_of_range", start=_number(start), end=_number(end), step=_number(abs(step)))
        return value


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@register("acknowledge")
class Acknowledge(QuestionType):
    ACCEPTED = {True, "OK", "ok", "yes", "true", "1"}  # True also matches the number 1

    def clean(self, question, raw, allowed=None):
        if isinstance(raw, (str, bool, int)) and raw in self.ACCEPTED:
            return True
        raise AnswerError("expected_acknowledge")


def _choice_code(raw: Any) -> str:
    """A single choice value; integers are accepted for numeric codes."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise AnswerError("expected_choice")
    return str(raw).strip()


def _choice_codes(raw: Any) -> list[str]:
    """A list of choice values; a space-separated string (XForms style) also works."""
    if isinstance(raw, str):
        return raw.split()
    if not isinstance(raw, list):
        raise AnswerError("expected_choices")
    return [_choice_code(item) for item in raw]


def _check_allowed(codes: list[str], allowed: Mapping[str, Choice]) -> None:
    seen = set()
    for code in codes:
        if code not in allowed:
            raise AnswerError("invalid_choice", value=code[:50])
        if code in seen:
            raise AnswerError("duplicate_selection", value=code)
        seen.add(code)


@register("select_one")
class SelectOne(QuestionType):
    takes_list = True

    def clean(self, question, raw, allowed=None):
        code = _choice_code(raw)
        _check_allowed([code], allowed or {})
        return code


@register("select_multiple")
class SelectMultiple(QuestionType):
    takes_list = True

    def clean(self, question, raw, allowed=None):
        codes = _choice_codes(raw)
        _check_allowed(codes, allowed or {})
        exclusive = [allowed[c] for c in codes if allowed[c].exclusive]
        if exclusive and len(codes) > 1:
            raise AnswerError("exclusive_choice", label=exclusive[0].label)
        return codes


@register("rank")
class Rank(QuestionType):
    takes_list = True

    def clean(self, question, raw, allowed=None):
        codes = _choice_codes(raw)
        _check_allowed(codes, allowed or {})
        if len(codes) != len(allowed or {}):
            raise AnswerError("expected_ranking")
        return codes
