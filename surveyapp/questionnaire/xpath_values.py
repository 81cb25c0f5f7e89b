"""The values XLSForm expressions compute with, and XPath's conversions between them.

Strings, numbers (floats), booleans and node-sets (a roster question's answers over its
entries); ``Env`` holds what an expression is evaluated against.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from numbers import Real
from typing import Any, Callable, Mapping


class NodeSet(tuple):
    """The answers of one question of a repeat over its entries, as seen from outside the entry
    (or the entries themselves, for a reference to the repeat): XPath's node-set.

    Its string, number and boolean values are those of its first item (boolean: not empty);
    a comparison holds when it holds for any item, as in XPath 1.0."""

    def __new__(cls, items=()):
        return super().__new__(cls, (_value(item) for item in items))


Value = str | float | bool | NodeSet


Evaluator = Callable[["Env"], Value]


Builder = Callable[..., Evaluator]


_XML_SPACE = " \t\r\n"


_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Env:
    """The values an expression is evaluated against."""

    answers: Mapping[str, Any] = field(default_factory=dict)
    current: Any = None
    today: str | None = None
    row: Mapping[str, str] | None = None
    position: int | None = None
    """The 1-based number of the repeat entry being evaluated (``position(..)``)."""


def _value(raw: Any) -> Value:
    """Map an answer as stored into the expression value domain."""
    if raw is None:
        return ""
    if isinstance(raw, NodeSet):
        return raw
    if isinstance(raw, (bool, str, float)):
        return raw
    if isinstance(raw, (Real, Decimal)):
        try:
            return float(raw)
        except OverflowError:  # ints beyond the double range
            return math.inf if raw > 0 else -math.inf
    if isinstance(raw, (list, tuple)):
        return " ".join(_str(_value(item)) for item in raw)
    return raw.isoformat() if isinstance(raw, datetime.date) else str(raw)


def _first(value: Value) -> Value:
    """A node-set's first item ("" when empty); any other value itself."""
    if isinstance(value, NodeSet):
        return value[0] if value else ""
    return value


def _num(value: Value) -> float:
    if isinstance(value, NodeSet):
        value = _first(value)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    text = value.strip(_XML_SPACE)
    return float(text) if _NUMBER_TEXT.fullmatch(text) else math.nan


def _str(value: Value) -> str:
    if isinstance(value, NodeSet):
        value = _first(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return _format_number(value) if isinstance(value, float) else value


def _bool(value: Value) -> bool:
    if isinstance(value, NodeSet):
        return len(value) > 0
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    return value != ""


def _format_number(number: float) -> str:
    # Shortest round-trip digits (Python repr == JS toString) written without
    # an exponent, as XPath string() does, so both languages agree.
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    text = format(Decimal(repr(number)), "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text == "-0" else text


def to_boolean(value: Any) -> bool:
    """XPath boolean() of an answer or expression value."""
    return _bool(_value(value))


def to_number(value: Any) -> float:
    """XPath number() of an answer or expression value; NaN when not numeric."""
    return _num(_value(value))


def to_string(value: Any) -> str:
    """XPath string() of an answer or expression value."""
    return _str(_value(value))
