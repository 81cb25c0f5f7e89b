"""XLSForm expression engine (an XPath 1.0 subset): parse once, evaluate many times.

The rules are pinned by tests/data/expression_vectors.json, which a JavaScript
evaluator shares, so each rule is chosen to be portable, not Python-specific. The
values live in ``xpath_values``, the functions in ``xpath_functions``; this module
holds the operators, the tokenizer and the parser.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from surveyapp.questionnaire.xpath_functions import _FUNCTIONS, _arity_problem, _position
from surveyapp.questionnaire.xpath_values import (
    _DATE_TEXT, Builder, Env, Evaluator, NodeSet, Value, _bool, _num, _value, to_boolean, to_number, to_string,
)

__all__ = ["Env", "Expression", "ExpressionError", "NodeSet", "parse", "to_boolean",
           "to_number", "to_string"]


__all__ = ["Env", "Expression", "ExpressionError", "NodeSet", "parse", "to_boolean", "to_number", "to_string"]


# Long `or` chains nest one tree level per operand; these limits keep the
# parser and the evaluator well below Python's recursion limit.
MAX_DEPTH = 256


MAX_NESTING = 64


class ExpressionError(ValueError):
    """Raised by parse() for text that is not a valid expression."""

    def __init__(self, message: str, position: int | None = None, function: str | None = None) -> None:
        super().__init__(message if position is None else f"{message} at position {position}")
        self.message = message
        self.position = position
        self.function = function
        """The unknown function's name, when that is the problem."""


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
