"""Tests of the XLSForm expression engine: shared vectors, metadata, properties."""

from __future__ import annotations

import datetime
import json
import math
import sys
from pathlib import Path
from typing import Any, Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveyapp.questionnaire.expressions import NodeSet
from surveyapp.questionnaire.xpath_functions import _FUNCTIONS
from surveyapp.questionnaire.expressions import (
    Env, Expression, ExpressionError, parse, to_boolean, to_number, to_string,
)

VECTORS_FILE = Path(__file__).resolve().parents[1] / "data" / "expression_vectors.json"
SUITE = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
VECTORS = SUITE["vectors"]
VALID = [v for v in VECTORS if "error" not in v]
INVALID = [v for v in VECTORS if "error" in v]
FUNCTIONS = set(_FUNCTIONS)
OPERATORS = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]
PROPERTY = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def env_for(vector: Mapping[str, Any]) -> Env:
    """The Env a vector describes."""
    nodes = {name: NodeSet(values) for name, values in vector.get("nodes", {}).items()}
    return Env({**vector["answers"], **nodes}, current=vector.get("current"),
               today=vector.get("today", SUITE["today"]), row=vector.get("row"), position=vector.get("position"))


def assert_strictly_equal(actual: Any, expected: Any) -> None:
    """Compare an evaluation result with a vector's JSON expectation, types included."""
    if isinstance(expected, dict):
        assert isinstance(actual, float), repr(actual)
        assert to_string(actual) == expected["number"]
    elif isinstance(expected, bool):
        assert actual is expected
    elif isinstance(expected, (int, float)):
        assert isinstance(actual, float) and actual == expected, repr(actual)
    else:
        assert isinstance(actual, str) and actual == expected, repr(actual)


def vector_value(expected: Any) -> Any:
    """The Python value of a vector expectation."""
    return float(expected["number"].replace("Infinity", "inf")) if isinstance(expected, dict) else expected


# --- shared vectors ---------------------------------------------------------------

@pytest.mark.parametrize("vector", VALID, ids=[v["expr"] for v in VALID])
def test_vector_evaluates_to_expected(vector: dict) -> None:
    """Does the expression evaluate to the vector's expected value, twice from one parse?"""
    expr = parse(vector["expr"])
    env = env_for(vector)
    assert_strictly_equal(expr.evaluate(env), vector["expected"])
    assert_strictly_equal(expr.evaluate(env), vector["expected"])
    assert expr.evaluate_bool(env) is to_boolean(vector_value(vector["expected"]))


@pytest.mark.parametrize("vector", INVALID, ids=[v["expr"] or "<empty>" for v in INVALID])
def test_vector_fails_to_parse(vector: dict) -> None:
    """Is the vector's text rejected by parse() with a message and position?"""
    with pytest.raises(ExpressionError) as caught:
        parse(vector["expr"])
    assert caught.value.message and isinstance(caught.value.position, int)


def test_vectors_file_is_complete() -> None:
    """Does the vector file cover every function, operator and result kind, with semantics?"""
    assert len(VECTORS) >= 150 and SUITE["semantics"] and SUITE["today"]
    assert set().union(*(parse(v["expr"]).functions for v in VALID)) == FUNCTIONS
    texts = " ".join(v["expr"] for v in VALID)
    assert all(f" {op} " in texts for op in OPERATORS)
    kinds = {type(v["expected"]).__name__ for v in VALID}
    assert kinds >= {"str", "int", "float", "bool", "dict"}
    assert all(set(v) <= {"expr", "answers", "current", "row", "today", "expected", "error", "note",
                            "nodes", "position"}
               for v in VECTORS)
    assert all(("expected" in v) != ("error" in v) for v in VECTORS)


# --- parse errors and metadata -------------------------------------------------------

@pytest.mark.parametrize("text, message, position", [
    ("selected(${a}, 'x'", "missing ')'", 18),
    ("1 + 2)", "unexpected ')'", 5),
    ("foo(1)", "unknown function 'foo'", 0),
    ("selected(${a})", "selected() takes 2 arguments", 0),
    ("not(1, 2)", "not() takes 1 argument", 0),
    ("today(1)", "today() takes no arguments", 0),
    ("concat()", "concat() takes at least 1 argument", 0),
    ("${a} @ 1", "unexpected character '@'", 5),
    ("", "empty expression", 0),
    ("'abc", "unterminated string", 0),
    ("${a} +", "unexpected end of expression", 6),
    ("${a b}", "invalid reference", 0),
])
def test_parse_error_message(text: str, message: str, position: int) -> None:
    """Does a parse error carry a short English message and the offending offset?"""
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert (caught.value.message, caught.value.position) == (message, position)
    assert isinstance(caught.value, ValueError) and message in str(caught.value)


def test_metadata_of_a_choice_filter() -> None:
    """Are references, columns, '.' use and functions reported for each expression?"""
    expr = parse("street = ${a4_street} and selected(${c3}, district) or not(.)")
    assert expr.references == frozenset({"a4_street", "c3"})
    assert expr.columns == frozenset({"street", "district"})
    assert expr.uses_current is True
    assert expr.functions == frozenset({"selected", "not"})
    assert expr.source == "street = ${a4_street} and selected(${c3}, district) or not(.)"


def test_metadata_of_a_plain_expression() -> None:
    """Does an expression without names report empty metadata?"""
    expr = parse("1 + 2 div 3")
    assert (expr.references, expr.columns, expr.uses_current, expr.functions) == (
        frozenset(), frozenset(), False, frozenset())


def test_word_operators_are_not_columns() -> None:
    """Are and/or/div/mod in operator position kept out of .columns?"""
    assert parse("${a} and ${b} or 4 div 2 mod 3").columns == frozenset()
    assert parse("div div div").columns == frozenset({"div"})


def test_string_literals_are_not_references() -> None:
    """Is '${x}' inside a string literal left out of .references?"""
    expr = parse("concat('${x}', ${y})")
    assert expr.references == frozenset({"y"})
    assert expr.evaluate(Env({"x": "no", "y": "!"})) == "${x}!"


def test_expression_is_reusable_and_hashable() -> None:
    """Can one parsed Expression be evaluated against many environments?"""
    expr = parse("${age} >= 18")
    assert [expr.evaluate_bool(Env({"age": age})) for age in (17, 18, 19, None)] == [False, True, True, False]
    assert expr == parse("${age} >= 18") and hash(expr) == hash(parse("${age} >= 18"))
    assert isinstance(expr, Expression)


# --- evaluation details the vectors cannot express --------------------------------------

class RecordingAnswers(dict):
    """A dict of answers that records which names were read."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.read: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        self.read.append(key)
        return super().get(key, default)


@pytest.mark.parametrize("text, read", [
    ("if(${c}, ${a}, ${b})", ["c", "a"]),
    ("if(not(${c}), ${a}, ${b})", ["c", "b"]),
    ("${c} or ${a}", ["c"]),
    ("not(${c}) and ${a}", ["c"]),
    ("coalesce(${c}, ${a})", ["c"]),
])
def test_untaken_branches_are_not_evaluated(text: str, read: list[str]) -> None:
    """Does if()/and/or/coalesce evaluate only what decides the result?"""
    answers = RecordingAnswers({"c": "yes", "a": 1, "b": 2})
    parse(text).evaluate(Env(answers))
    assert answers.read == read


def test_today_defaults_to_the_local_date() -> None:
    """Does today() fall back to the local date when Env.today is None?"""
    before = datetime.date.today().isoformat()
    value = parse("today()").evaluate(Env({}))
    assert value in {before, datetime.date.today().isoformat()}


def test_answer_values_are_normalised() -> None:
    """Are ints, huge ints, tuples, dates and None mapped into the value domain?"""
    expr = parse("${x}")
    assert expr.evaluate(Env({"x": 5})) == 5.0 and isinstance(expr.evaluate(Env({"x": 5})), float)
    assert expr.evaluate(Env({"x": 10 ** 400})) == math.inf
    assert expr.evaluate(Env({"x": -(10 ** 400)})) == -math.inf
    assert expr.evaluate(Env({"x": ("a", "b")})) == "a b"
    assert expr.evaluate(Env({"x": [1, 2.5, True]})) == "1 2.5 true"
    assert expr.evaluate(Env({"x": datetime.date(2026, 1, 2)})) == "2026-01-02"
    assert expr.evaluate(Env({"x": None})) == ""


def test_empty_answer_compares_as_nan() -> None:
    """Does a reference to an empty answer compare as NaN?"""
    env = Env({"x": ""})
    assert parse("${x} = 0").evaluate(env) is False
    assert parse("${x} != 0").evaluate(env) is True
    assert math.isnan(parse("${x} + 0").evaluate(env))


@pytest.mark.parametrize("value, text", [
    (1e21, "1000000000000000000000"), (1e-7, "0.0000001"), (-0.0, "0"), (-1.5, "-1.5"),
    (5e-324, "0." + "0" * 323 + "5"), (math.nan, "NaN"), (-math.inf, "-Infinity"),
    (True, "true"), (None, ""), (["a", "b"], "a b"), (7, "7"),
])
def test_to_string(value: Any, text: str) -> None:
    """Does to_string write numbers positionally, without exponent or trailing .0?"""
    assert to_string(value) == text


@pytest.mark.parametrize("value, number", [
    ("  12 ", 12.0), ("+5", 5.0), ("5.", 5.0), ("1e3", math.nan), ("", math.nan), ("\u00a012", math.nan),
    ("٣", math.nan), (True, 1.0), (None, math.nan), (3, 3.0), ("Infinity", math.nan), ("nan", math.nan),
])
def test_to_number(value: Any, number: float) -> None:
    """Does to_number accept only plain ASCII decimals, trimming XML whitespace?"""
    result = to_number(value)
    assert (math.isnan(result) and math.isnan(number)) or result == number


@pytest.mark.parametrize("value, truth", [
    ("", False), ("false", True), (0, False), (math.nan, False), (-0.1, True), ([], False), (None, False),
])
def test_to_boolean(value: Any, truth: bool) -> None:
    """Does to_boolean follow XPath boolean() for each value kind?"""
    assert to_boolean(value) is truth


def test_regex_follows_javascript() -> None:
    """Do regex() anchors and classes behave like JS RegExp.test?"""
    phone = parse(r"regex(., '^1[3-9]\d{9}$')")
    assert phone.evaluate(Env({}, current="13812345678")) is True
    assert phone.evaluate(Env({}, current="13812345678\n")) is False
    assert parse(r"regex(., '\w+$')").evaluate(Env({}, current="汉字")) is False
    assert parse("regex('a', 'a{99999999999}')").evaluate(Env({})) is False


def test_deep_nesting_is_a_parse_error() -> None:
    """Is absurdly deep nesting rejected as ExpressionError instead of RecursionError?"""
    with pytest.raises(ExpressionError):
        parse("(" * 500 + "1" + ")" * 500)
    with pytest.raises(ExpressionError):
        parse("-" * 500 + "1")
    with pytest.raises(ExpressionError):
        parse(" or ".join(["1"] * 2000))


def test_long_realistic_chain_evaluates() -> None:
    """Does a 200-option `or` chain parse and evaluate within the recursion limit?"""
    text = " or ".join(f"selected(${{c3}}, 'o{i}')" for i in range(200))
    assert parse(text).evaluate(Env({"c3": ["o199"]})) is True
    assert sys.getrecursionlimit() >= 1000


# --- properties ---------------------------------------------------------------------

@PROPERTY
@given(st.text())
def test_parse_arbitrary_text(text: str) -> None:
    """Does parse() of arbitrary text only ever return an Expression or raise ExpressionError?"""
    try:
        assert isinstance(parse(text), Expression)
    except ExpressionError:
        pass


TOKENS = ["${a}", "${b}", ".", "1", "2.5", ".5", "'x'", '"是"', "street", "(", ")", ",", "=", "!=",
          "<", "<=", ">", ">=", "+", "-", "*", " div ", " mod ", " and ", " or ", "selected(",
          "if(", "concat(", "today()", "true()", " ", "'", "$", "{", "}"]


@PROPERTY
@given(st.lists(st.sampled_from(TOKENS), max_size=20).map("".join))
def test_parse_token_soup(text: str) -> None:
    """Does parse() of random token sequences only return or raise ExpressionError?"""
    try:
        parse(text).evaluate(Env({}))
    except ExpressionError:
        pass


ANSWER_VALUES = st.one_of(st.none(), st.text(), st.integers(), st.floats(allow_nan=True),
                          st.booleans(), st.lists(st.text()))
NAMES = ["a", "b", "c"]


def grammar_leaves() -> st.SearchStrategy[str]:
    """Literals, references, '.', columns and zero-argument calls."""
    return st.one_of(
        st.integers(0, 10 ** 12).map(str),
        st.tuples(st.integers(0, 999), st.integers(0, 999)).map(lambda p: f"{p[0]}.{p[1]}"),
        st.text(max_size=8).map(lambda s: "'" + s.replace("'", "") + "'"),
        st.sampled_from([f"${{{n}}}" for n in NAMES] + [".", "street", "today()", "true()", "false()",
                                                         "'2026-01-01'", "''"]),
    )


def grammar_branches(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Operators and function calls over smaller expressions."""
    patterns = st.sampled_from(["'^[0-9]+$'", "'a|b'", "'['", "'^$'", r"'\d{2,3}'"])
    return st.one_of(
        st.tuples(children, st.sampled_from(OPERATORS), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        children.map(lambda c: f"-{c}"),
        st.tuples(st.sampled_from(["count-selected", "string-length", "int", "number", "not",
                                   "string", "boolean"]), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["selected", "coalesce", "concat"]), children, children)
        .map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(children, patterns).map(lambda t: f"regex({t[0]}, {t[1]})"),
        st.tuples(children, children, children).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
    )


EXPRESSIONS = st.recursive(grammar_leaves(), grammar_branches, max_leaves=12)


@PROPERTY
@given(EXPRESSIONS, st.dictionaries(st.sampled_from(NAMES), ANSWER_VALUES), ANSWER_VALUES,
       st.none() | st.dictionaries(st.sampled_from(["street"]), st.text(max_size=5)))
def test_generated_expressions_never_raise(text: str, answers: dict, current: Any, row: Any) -> None:
    """Does evaluate() of any grammatical expression return str|float|bool for any answers?"""
    expr = parse(text)
    value = expr.evaluate(Env(answers, current=current, today="2026-11-30", row=row))
    assert isinstance(value, (str, float, bool))
    assert isinstance(expr.evaluate_bool(Env(answers, current=current, row=row)), bool)


@PROPERTY
@given(st.integers(-(2 ** 53), 2 ** 53))
def test_integer_round_trip(number: int) -> None:
    """Does to_string(to_number(s)) give back the text of any safe integer?"""
    assert to_string(to_number(str(number))) == str(number)
    assert to_string(to_number(f" {number} ")) == str(number)


@PROPERTY
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_round_trip(number: float) -> None:
    """Does to_number(to_string(x)) give back every finite float exactly?"""
    assert to_number(to_string(number)) == number


def test_semantics_are_documented() -> None:
    """Does the vector file state the rules the JS port must follow, one per line?"""
    lines = SUITE["semantics"]
    assert len(lines) >= 15 and all(isinstance(line, str) and line for line in lines)


def test_regex_flags_and_future_syntax_never_raise():
    """Do patterns with clashing flags or future-warning syntax evaluate quietly?"""
    from surveyapp.questionnaire.expressions import Env, parse
    assert parse("regex(., '(?u)\\w')").evaluate(Env({}, current="a")) is False
    assert isinstance(parse("regex(., '[[a]')").evaluate(Env({}, current="a")), bool)
