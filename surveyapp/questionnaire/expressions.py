"""XLSForm expression engine (an XPath 1.0 subset): parse once, evaluate many times.

The rules are pinned by tests/data/expression_vectors.json, which a JavaScript
evaluator shares, so each rule is chosen to be portable, not Python-specific.
"""

from __future__ import annotations

import datetime
import functools
import math
import operator
import re
import warnings
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from numbers import Real
from typing import Any, Callable, Mapping, NamedTuple

__all__ = ["Env", "Expression", "ExpressionError", "NodeSet", "parse", "to_boolean", "to_number", "to_string"]


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

# Long `or` chains nest one tree level per operand; these limits keep the
# parser and the evaluator well below Python's recursion limit.
MAX_DEPTH = 256
MAX_NESTING = 64

_XML_SPACE = " \t\r\n"
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ITEM = re.compile(r"[^ \t\r\n]+")
# An escape or a character class is kept as is; any other '$' is captured.
_REGEX_END = re.compile(r"(\\.|\[(?:\\.|[^\\\]])*\]?)|\$", re.DOTALL)


# Functions that read data from outside the form: named, so that a form using them is refused
# for that feature rather than for a parse error.
EXTERNAL_FUNCTIONS = frozenset({"pulldata", "search", "instance"})


class ExpressionError(ValueError):
    """Raised by parse() for text that is not a valid expression."""

    def __init__(self, message: str, position: int | None = None, function: str | None = None) -> None:
        super().__init__(message if position is None else f"{message} at position {position}")
        self.message = message
        self.position = position
        self.function = function
        """The unknown function's name, when that is the problem."""


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


def _any(test: Callable[[Value, Value], bool]) -> Callable[[Value, Value], bool]:
    """XPath's comparison of node-sets: true when it holds for some item of each."""
    def run(left: Value, right: Value) -> bool:
        if not isinstance(left, NodeSet) and not isinstance(right, NodeSet):
            return test(left, right)
        lefts = left if isinstance(left, NodeSet) else (left,)
        rights = right if isinstance(right, NodeSet) else (right,)
        return any(test(a, b) for a in lefts for b in rights)
    return run


def _equals(left: Value, right: Value) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return _bool(left) == _bool(right)
    if isinstance(left, float) or isinstance(right, float):
        return _num(left) == _num(right)  # NaN is never equal
    return left == right


def _ordering(compare: Callable[[Any, Any], bool]) -> Callable[[Value, Value], bool]:
    def run(left: Value, right: Value) -> bool:
        dates = [isinstance(v, str) and _DATE_TEXT.fullmatch(v) for v in (left, right)]
        return compare(left, right) if all(dates) else compare(_num(left), _num(right))
    return run


def _divide(left: float, right: float) -> float:
    if right != 0:
        return left / right
    if left == 0 or math.isnan(left):
        return math.nan
    return math.copysign(math.inf, left) * math.copysign(1.0, right)  # IEEE sign rules


def _modulo(left: float, right: float) -> float:
    if right == 0 or math.isinf(left) or math.isnan(left) or math.isnan(right):
        return math.nan
    return math.fmod(left, right)  # sign of the dividend, like JS %


def _binary(compute: Callable[[Any, Any], Value], convert: Callable[[Value], Any] = lambda v: v) -> Builder:
    return lambda left, right: lambda env: compute(convert(left(env)), convert(right(env)))


_BINARY: dict[str, tuple[int, Builder]] = {
    # Python's own and/or short-circuit; both operands are already booleans.
    "or": (1, lambda left, right: lambda env: _bool(left(env)) or _bool(right(env))),
    "and": (2, lambda left, right: lambda env: _bool(left(env)) and _bool(right(env))),
    "=": (3, _binary(_any(_equals))),
    "!=": (3, _binary(_any(lambda a, b: not _equals(a, b)))),
    "<": (4, _binary(_any(_ordering(operator.lt)))),
    "<=": (4, _binary(_any(_ordering(operator.le)))),
    ">": (4, _binary(_any(_ordering(operator.gt)))),
    ">=": (4, _binary(_any(_ordering(operator.ge)))),
    "+": (5, _binary(operator.add, _num)),
    "-": (5, _binary(operator.sub, _num)),
    "*": (6, _binary(operator.mul, _num)),
    "div": (6, _binary(_divide, _num)),
    "mod": (6, _binary(_modulo, _num)),
}
_UNARY_BINDING = 7
_WORD_OPERATORS = frozenset({"or", "and", "div", "mod"})


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


class _Token(NamedTuple):
    kind: str  # space, number, string, ref, name, op or end
    text: str
    position: int


_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+)
  | (?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<ref>\$\{[^\s{}$0-9.\-][^\s{}$]*\})
  | (?P<name>[A-Za-z_][A-Za-z0-9_.\-]*(?:::[A-Za-z_][A-Za-z0-9_.\-]*)?)
  | (?P<op>!=|<=|>=|\.\.|[=<>+\-*(),.])
""", re.VERBOSE)
_LEXICAL_ERRORS = {"'": "unterminated string", '"': "unterminated string", "$": "invalid reference"}


def _tokenize(text: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            raise ExpressionError(_LEXICAL_ERRORS.get(char, f"unexpected character {char!r}"), position)
        tokens.append(_Token(match.lastgroup or "", match.group(), position))
        position = match.end()
    return [token for token in tokens if token.kind != "space"] + [_Token("end", "", len(text))]


def _unexpected(token: _Token) -> ExpressionError:
    if token.kind == "end":
        return ExpressionError("unexpected end of expression", token.position)
    return ExpressionError(f"unexpected {token.text!r}", token.position)


class _Node(NamedTuple):
    run: Evaluator
    depth: int


class _Parser:
    """Pratt parser turning tokens into a tree of closures."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = self.nesting = 0
        self.references: set[str] = set()
        self.columns: set[str] = set()
        self.functions: set[str] = set()
        self.uses_current = False

    def at(self, text: str) -> bool:
        token = self.tokens[self.index]
        return token.kind == "op" and token.text == text

    def advance(self) -> _Token:
        self.index += 1
        return self.tokens[self.index - 1]

    def node(self, run: Evaluator, *children: _Node) -> _Node:
        depth = 1 + max((child.depth for child in children), default=0)
        if depth > MAX_DEPTH:
            raise ExpressionError("expression is too deeply nested", self.tokens[self.index].position)
        return _Node(run, depth)

    def parse(self) -> _Node:
        if self.tokens[0].kind == "end":
            raise ExpressionError("empty expression", 0)
        node = self.expression(0)
        if self.tokens[self.index].kind != "end":
            raise _unexpected(self.tokens[self.index])
        return node

    def expression(self, min_binding: int) -> _Node:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ExpressionError("expression is too deeply nested", self.tokens[self.index].position)
        node = self.prefix()
        while (op := self.binary_operator()) and _BINARY[op][0] > min_binding:
            self.advance()
            binding, build = _BINARY[op]
            right = self.expression(binding)
            node = self.node(build(node.run, right.run), node, right)
        self.nesting -= 1
        return node

    def binary_operator(self) -> str | None:
        # and/or/div/mod are operators only where an operator can stand;
        # elsewhere they are ordinary names, as in XPath.
        token = self.tokens[self.index]
        if token.kind == "op" and token.text in _BINARY or token.kind == "name" and token.text in _WORD_OPERATORS:
            return token.text
        return None

    def prefix(self) -> _Node:
        token = self.advance()
        kind, text = (token.text if token.kind == "op" else token.kind), token.text
        if kind in ("number", "string"):
            value = float(text) if kind == "number" else text[1:-1]
            return _Node(lambda env: value, 1)
        if kind == "ref":
            return self.reference(text[2:-1])
        if kind == "name":
            return self.call(token) if self.at("(") else self.column(text)
        if kind == ".":
            self.uses_current = True
            return _Node(lambda env: _value(env.current), 1)
        if kind == "-":
            operand = self.expression(_UNARY_BINDING)
            return self.node(lambda env: -_num(operand.run(env)), operand)
        if kind == "(":
            node = self.expression(0)
            self.expect_close()
            return node
        raise _unexpected(token)

    def reference(self, name: str) -> _Node:
        self.references.add(name)
        return _Node(lambda env: _value(env.answers.get(name)), 1)

    def column(self, name: str) -> _Node:
        self.columns.add(name)
        return _Node(lambda env: "" if env.row is None else _value(env.row.get(name)), 1)

    def expect_close(self) -> None:
        if self.at(")"):
            self.advance()
            return
        token = self.tokens[self.index]
        raise ExpressionError("missing ')'", token.position) if token.kind == "end" else _unexpected(token)

    def call(self, name: _Token) -> _Node:
        spec = _FUNCTIONS.get(name.text)
        if spec is None:
            raise ExpressionError(f"unknown function {name.text!r}", name.position, name.text)
        self.advance()
        if name.text == "position":  # position(..): the number of the repeat entry
            if not self.at(".."):
                raise _unexpected(self.tokens[self.index])
            self.advance()
            self.expect_close()
            self.functions.add(name.text)
            return _Node(_position, 1)
        args = self.arguments()
        problem = _arity_problem(name.text, spec, len(args))
        if problem:
            raise ExpressionError(problem, name.position)
        self.functions.add(name.text)
        return self.node(spec.build(*(arg.run for arg in args)), *args)

    def arguments(self) -> list[_Node]:
        if self.at(")"):
            self.advance()
            return []
        args = [self.expression(0)]
        while self.at(","):
            self.advance()
            args.append(self.expression(0))
        self.expect_close()
        return args


@dataclass(frozen=True)
class Expression:
    """A parsed expression, reusable against any number of environments."""

    source: str
    references: frozenset[str]
    columns: frozenset[str]
    uses_current: bool
    functions: frozenset[str]
    _run: Evaluator = field(repr=False, compare=False)

    def evaluate(self, env: Env) -> Value:
        """The raw value of the expression: str, float or bool."""
        return self._run(env)

    def evaluate_bool(self, env: Env) -> bool:
        """XPath boolean() of the expression's value."""
        return _bool(self._run(env))


def parse(text: str) -> Expression:
    """Parse expression text once into an Expression, or raise ExpressionError."""
    parser = _Parser(text)
    run = parser.parse().run
    return Expression(text, frozenset(parser.references), frozenset(parser.columns),
                      parser.uses_current, frozenset(parser.functions), run)
