"""The function library of XLSForm expressions: what ``name(...)`` may call.

Each entry of ``_FUNCTIONS`` builds an evaluator from its argument evaluators; the
JavaScript evaluator (static/survey/expr.js) implements the same table.
"""

from __future__ import annotations

import datetime
import math
import re
import warnings
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Callable, NamedTuple

from surveyapp.questionnaire.xpath_values import (
    _DATE_TEXT, _XML_SPACE, Builder, Env, Evaluator, NodeSet, Value, _bool, _num, _str, _value,
)


_ITEM = re.compile(r"[^ \t\r\n]+")


# An escape or a character class is kept as is; any other '$' is captured.
_REGEX_END = re.compile(r"(\\.|\[(?:\\.|[^\\\]])*\]?)|\$", re.DOTALL)


# Functions that read data from outside the form: named, so that a form using them is refused
# for that feature rather than for a parse error.
EXTERNAL_FUNCTIONS = frozenset({"pulldata", "search", "instance"})


def _items(value: Value) -> list[str]:
    return _ITEM.findall(_str(value))


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str] | None:
    # Match JS RegExp: ASCII \d and \w, and '$' only at the very end (Python's
    # '$' also matches before a final newline). Cached: patterns are few and
    # evaluated on every submission.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. FutureWarning for '[[a]'
            return re.compile(_REGEX_END.sub(lambda m: m.group(1) or r"\Z", pattern), re.ASCII)
    except (re.error, ValueError, OverflowError, RecursionError):
        return None  # an invalid pattern (or one with clashing flags) matches nothing


def _search(text: Value, pattern: Value) -> bool:
    compiled = _compile(_str(pattern))
    return compiled is not None and compiled.search(_str(text)) is not None


def _truncate(number: float) -> float:
    if not math.isfinite(number):
        return number
    return math.copysign(float(math.trunc(number)), number)  # keeps -0 as JS does


def _coalesce(first: Evaluator, second: Evaluator) -> Evaluator:
    def run(env: Env) -> Value:
        value = first(env)
        return value if _str(value) != "" else second(env)
    return run


def _today(env: Env) -> Value:
    return datetime.date.today().isoformat() if env.today is None else _value(env.today)


def _unary(convert: Callable[[Value], Value]) -> Builder:
    return lambda arg: lambda env: convert(arg(env))


def _math(compute: Callable[..., float]) -> Builder:
    """A numeric function of to_number of each argument; domain errors give NaN, overflow infinity."""
    def build(*args: Evaluator) -> Evaluator:
        def run(env: Env) -> Value:
            try:
                return float(compute(*(_num(arg(env)) for arg in args)))
            except OverflowError:
                return math.inf
            except (ValueError, ArithmeticError):
                return math.nan
        return run
    return build


def _pow(x: float, y: float) -> float:
    """IEEE pow as JavaScript's Math.pow has it."""
    if y == 0:
        return 1.0
    if math.isnan(x) or math.isnan(y) or (abs(x) == 1 and math.isinf(y)):
        return math.nan
    try:
        return math.pow(x, y)
    except OverflowError:
        odd = y == int(y) and int(y) % 2 == 1
        return -math.inf if x < 0 and odd else math.inf
    except ValueError:
        if x == 0:  # 0 to a negative power
            odd = y == int(y) and int(y) % 2 == 1
            return -math.inf if odd and math.copysign(1.0, x) < 0 else math.inf
        return math.nan


def _log(base_log: Callable[[float], float]) -> Callable[[float], float]:
    return lambda x: -math.inf if x == 0 else base_log(x)


def _nodes(value: Value) -> tuple[Value, ...]:
    """The items of a node-set, or the value alone."""
    return tuple(value) if isinstance(value, NodeSet) else (value,)


def _flatten(values: list[Value]) -> list[Value]:
    return [item for value in values for item in _nodes(value)]


def _extreme(pick: Callable[..., float]) -> Builder:
    def build(*args: Evaluator) -> Evaluator:
        def run(env: Env) -> Value:
            numbers = [_num(v) for v in _flatten([arg(env) for arg in args])]
            return math.nan if not numbers or any(math.isnan(n) for n in numbers) else float(pick(numbers))
        return run
    return build


def _sum(values: Value) -> float:
    """Left to right in IEEE doubles, as the browser adds."""
    total = 0.0
    for item in _nodes(values):
        total += _num(item)
    return total


def _count(value: Value) -> float:
    return float(len(value)) if isinstance(value, NodeSet) else 1.0


def _round(number: float, digits: float = 0.0) -> float:
    """Half away from zero on the number's shortest decimal digits (2.675 -> 2.68), as ODK does."""
    if math.isnan(number) or not math.isfinite(digits):
        return math.nan
    if math.isinf(number):
        return number
    rounded = Decimal(repr(number)).quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP)
    return float(rounded) if rounded else math.copysign(0.0, number)


def _index(number: float, length: int) -> int:
    """A position for substr(): truncated and kept within 0..length (NaN is 0)."""
    if math.isnan(number):
        return 0
    if math.isinf(number):
        return length if number > 0 else 0
    return min(max(int(number), 0), length)


def _substr(text: Value, start: Value, end: Value | None = None) -> str:
    """ODK's substr: code points from ``start`` (0-based) up to ``end`` (exclusive)."""
    chars = _str(text)
    first = _index(_num(start), len(chars))
    last = len(chars) if end is None else _index(_num(end), len(chars))
    return chars[first:last]


def _translate(text: Value, source: Value, target: Value) -> str:
    """XPath translate(): each character of ``source`` becomes the one at its place in ``target``
    (or is dropped when ``target`` is shorter); the first occurrence in ``source`` counts."""
    table: dict[str, str] = {}
    replacement = _str(target)
    for index, char in enumerate(_str(source)):
        table.setdefault(char, replacement[index] if index < len(replacement) else "")
    return "".join(table.get(c, c) for c in _str(text))


def _days(value: Value) -> float:
    """Days since 1970-01-01 of a date (or the date part of a date-time); NaN otherwise."""
    text = _str(value).strip(_XML_SPACE)
    if not _DATE_TEXT.fullmatch(text[:10]) or (len(text) > 10 and text[10] not in "T "):
        return math.nan
    try:
        day = datetime.date.fromisoformat(text[:10])
    except ValueError:
        return math.nan
    return float((day - datetime.date(1970, 1, 1)).days)


def _date(value: Value) -> str:
    """A date from a date text or a number of days since 1970-01-01; "" otherwise."""
    if not isinstance(value, (float, bool)) and not isinstance(value, NodeSet):
        days = _days(value)
    else:
        days = _num(value)
    if math.isnan(days) or not math.isfinite(days) or abs(days) > 2_900_000:
        return ""
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=math.floor(days))).isoformat()


def _join(separator: Evaluator, *parts: Evaluator) -> Evaluator:
    return lambda env: _str(separator(env)).join(_str(v) for v in _flatten([p(env) for p in parts]))


def _indexed(values: Evaluator, _repeat: Evaluator, index: Evaluator) -> Evaluator:
    def run(env: Env) -> Value:
        items, at = _nodes(values(env)), _num(index(env))
        return items[int(at) - 1] if math.isfinite(at) and at == int(at) and 1 <= at <= len(items) else ""
    return run


def _selected_at(value: Evaluator, index: Evaluator) -> Evaluator:
    def run(env: Env) -> Value:
        items, at = _items(value(env)), _num(index(env))
        return items[int(at)] if math.isfinite(at) and at == int(at) and 0 <= at < len(items) else ""
    return run


def _position(env: Env) -> Value:
    return float(env.position or 1)


class _Function(NamedTuple):
    minimum: int
    maximum: int | None  # None: any number of arguments
    build: Builder


_FUNCTIONS: dict[str, _Function] = {
    "selected": _Function(2, 2, lambda x, v: lambda env: _str(v(env)) in _items(x(env))),
    "count-selected": _Function(1, 1, _unary(lambda v: float(len(_items(v))))),
    "string-length": _Function(1, 1, _unary(lambda v: float(len(_str(v))))),
    "regex": _Function(2, 2, lambda s, p: lambda env: _search(s(env), p(env))),
    "if": _Function(3, 3, lambda c, a, b: lambda env: a(env) if _bool(c(env)) else b(env)),
    "coalesce": _Function(2, 2, _coalesce),
    "today": _Function(0, 0, lambda: _today),
    "int": _Function(1, 1, _unary(lambda v: _truncate(_num(v)))),
    "number": _Function(1, 1, _unary(_num)),
    "not": _Function(1, 1, _unary(lambda v: not _bool(v))),
    "true": _Function(0, 0, lambda: lambda env: True),
    "false": _Function(0, 0, lambda: lambda env: False),
    "concat": _Function(1, None, lambda *parts: lambda env: "".join(_str(p(env)) for p in parts)),
    "string": _Function(1, 1, _unary(_str)),
    "boolean": _Function(1, 1, _unary(_bool)),
    # Repeats (rosters) and lists.
    "count": _Function(1, 1, _unary(_count)),
    "count-non-empty": _Function(1, 1, _unary(lambda v: float(sum(_str(x) != "" for x in _nodes(v))))),
    "sum": _Function(1, 1, _unary(_sum)),
    "min": _Function(1, None, _extreme(min)),
    "max": _Function(1, None, _extreme(max)),
    "join": _Function(2, None, _join),
    "indexed-repeat": _Function(3, 3, _indexed),
    "position": _Function(1, 1, lambda _parent: _position),
    "selected-at": _Function(2, 2, _selected_at),
    "once": _Function(1, 1, _unary(lambda v: v)),
    # Numbers.
    "abs": _Function(1, 1, _math(abs)),
    "round": _Function(1, 2, _math(_round)),
    "floor": _Function(1, 1, _math(lambda x: x if not math.isfinite(x) else math.floor(x))),
    "ceiling": _Function(1, 1, _math(lambda x: x if not math.isfinite(x) else math.ceil(x))),
    "pow": _Function(2, 2, _math(_pow)),
    "sqrt": _Function(1, 1, _math(math.sqrt)),
    "exp": _Function(1, 1, _math(math.exp)),
    "exp10": _Function(1, 1, _math(lambda x: _pow(10.0, x))),
    "log": _Function(1, 1, _math(_log(math.log))),
    "log10": _Function(1, 1, _math(_log(math.log10))),
    "pi": _Function(0, 0, _math(lambda: math.pi)),
    "sin": _Function(1, 1, _math(math.sin)),
    "cos": _Function(1, 1, _math(math.cos)),
    "tan": _Function(1, 1, _math(math.tan)),
    "asin": _Function(1, 1, _math(math.asin)),
    "acos": _Function(1, 1, _math(math.acos)),
    "atan": _Function(1, 1, _math(math.atan)),
    "atan2": _Function(2, 2, _math(math.atan2)),
    # Text.
    "contains": _Function(2, 2, lambda a, b: lambda env: _str(b(env)) in _str(a(env))),
    "starts-with": _Function(2, 2, lambda a, b: lambda env: _str(a(env)).startswith(_str(b(env)))),
    "ends-with": _Function(2, 2, lambda a, b: lambda env: _str(a(env)).endswith(_str(b(env)))),
    "substr": _Function(2, 3, lambda *args: lambda env: _substr(*(a(env) for a in args))),
    "substring-before": _Function(2, 2, lambda a, b: lambda env: _str(a(env)).partition(_str(b(env)))[0]
                                  if _str(b(env)) in _str(a(env)) else ""),
    "substring-after": _Function(2, 2, lambda a, b: lambda env: _str(a(env)).partition(_str(b(env)))[2]
                                 if _str(b(env)) in _str(a(env)) else ""),
    "normalize-space": _Function(1, 1, _unary(lambda v: " ".join(_items(v)))),
    "translate": _Function(3, 3, lambda a, b, c: lambda env: _translate(a(env), b(env), c(env))),
    "boolean-from-string": _Function(1, 1, _unary(lambda v: _str(v) in ("true", "1"))),
    # Dates.
    "date": _Function(1, 1, _unary(_date)),
    "decimal-date-time": _Function(1, 1, _unary(_days)),
}


def _arity_problem(name: str, spec: _Function, count: int) -> str | None:
    if spec.minimum <= count and (spec.maximum is None or count <= spec.maximum):
        return None
    wanted = spec.minimum if spec.maximum is None else spec.maximum
    plural = "argument" if wanted == 1 else "arguments"
    if spec.maximum is None:
        return f"{name}() takes at least {wanted} {plural}"
    return f"{name}() takes {wanted or 'no'} {plural}"
