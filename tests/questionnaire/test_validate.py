"""Unit tests of the answer validator: requirement, relevance, types, choices,
constraints, calculations and malformed submissions."""

from __future__ import annotations

import json
import math

import pytest

from surveyapp.questionnaire import load_text
from surveyapp.questionnaire.compiled import compile_questionnaire
from surveyapp.questionnaire.types import LONG_TEXT_LIMIT, SHORT_TEXT_LIMIT
from surveyapp.questionnaire.validate import FieldError, Validation, validate

TODAY = "2026-03-20"

CHOICES = """\
choices:
  yn:
    - {name: "yes", label: {zh: 是, en: "Yes"}}
    - {name: "no", label: {zh: 否, en: "No"}}
  harm:
    - {name: theft, label: 盗窃}
    - {name: fraud, label: 诈骗}
    - {name: none, label: 都没有, exclusive: true}
  num:
    - {name: 1, label: 一}
    - {name: 2, label: 二}
  tasks:
    - {name: patrol, label: 巡逻}
    - {name: traffic, label: 交通}
    - {name: fraud, label: 反诈}
  street:
    - {name: s1, label: 东街道}
    - {name: s2, label: 西街道}
  community:
    - {name: c11, label: 一社区, street: s1}
    - {name: c12, label: 二社区, street: s1}
    - {name: c21, label: 三社区, street: s2}
  size:
    - {name: big, label: 大社区}
    - {name: small, label: 小社区}
"""


def form(survey: str):
    """Compile a questionnaire whose survey rows are ``survey`` (YAML list items)."""
    return compile_questionnaire(load_text("form_id: t\n" + CHOICES + "survey:\n" + survey))


def run(compiled, answers) -> Validation:
    """Validate on a fixed day, checking every error renders in both languages."""
    result = validate(compiled, answers, today=TODAY)
    for error in result.errors:
        assert isinstance(error, FieldError) and error.field
        zh, en = error.text("zh"), error.text("en")
        assert zh and en and zh != en, error
    json.dumps(result.values, allow_nan=False)
    return result


def codes(result: Validation) -> dict[str, str]:
    """{field: code} of the errors."""
    return {e.field: e.code for e in result.errors}


def error(result: Validation, field: str) -> FieldError:
    """The one error on ``field``."""
    found = [e for e in result.errors if e.field == field]
    assert len(found) == 1, result.errors
    return found[0]


# --- requirement ------------------------------------------------------------------------

REQUIRED = form("""\
  - {type: integer, name: age, label: 年龄, required: yes}
  - {type: select_one yn, name: victim, label: 是否受害}
  - type: text
    name: detail
    label: 经过
    required: "${victim} = 'yes'"
    required_message: {zh: 受害时请描述经过, en: Describe what happened}
  - {type: text, name: opinion, label: 意见, required: no}
""")


@pytest.mark.parametrize("empty", [None, "", "   ", []])
def test_required_empty_values(empty):
    """Is every kind of empty answer to a required question 'required'?"""
    result = run(REQUIRED, {"age": empty})
    assert codes(result) == {"age": "required"}
    assert error(result, "age").text("en") == "this question is required"


def test_required_expression_and_message():
    """Does an expression-required question use its own message only when the expression holds?"""
    result = run(REQUIRED, {"age": 30, "victim": "yes"})
    assert codes(result) == {"detail": "required"}
    detail = error(result, "detail")
    assert (detail.text("zh"), detail.text("en")) == ("受害时请描述经过", "Describe what happened")
    assert run(REQUIRED, {"age": 30, "victim": "no"}).ok
    assert run(REQUIRED, {"age": 30}).ok


# --- relevance --------------------------------------------------------------------------

RELEVANCE = form("""\
  - {type: select_one yn, name: victim, label: 是否受害}
  - {type: select_one yn, name: reported, label: 是否报警, relevant: "${victim} = 'yes'", required: yes}
  - type: begin_group
    name: outer
    label: 受害情况
    relevant: "${victim} = 'yes'"
    children:
      - {type: integer, name: times, label: 次数}
      - type: begin_group
        name: inner
        label: 报警情况
        relevant: "${reported} = 'yes'"
        children:
          - {type: integer, name: waited, label: 等待分钟, required: yes}
""")


def test_answering_an_irrelevant_question():
    """Is an answer to a question hidden by relevance an error (and not stored)?"""
    result = run(RELEVANCE, {"victim": "no", "reported": "yes"})
    assert codes(result) == {"reported": "not_relevant"}
    assert "reported" not in result.values


def test_irrelevant_required_question_is_not_required():
    """Is a required question hidden by relevance left unanswered without error?"""
    assert run(RELEVANCE, {"victim": "no"}).ok


def test_nested_group_relevance():
    """Do both the outer and the inner group's relevance apply to the inner question?"""
    assert codes(run(RELEVANCE, {"victim": "no", "waited": 5})) == {"waited": "not_relevant"}
    assert codes(run(RELEVANCE, {"victim": "yes", "reported": "no", "times": 2, "waited": 5})) == {
        "waited": "not_relevant"}
    assert codes(run(RELEVANCE, {"victim": "yes", "reported": "yes", "times": 2})) == {"waited": "required"}
    result = run(RELEVANCE, {"victim": "yes", "reported": "yes", "waited": "15"})
    assert result.ok and result.values["waited"] == 15


def test_invalid_answer_hides_dependants():
    """Does an invalid answer count as unanswered for the relevance of later questions?"""
    result = run(RELEVANCE, {"victim": "maybe", "reported": "yes"})
    assert codes(result) == {"victim": "invalid_choice", "reported": "not_relevant"}


# --- types ------------------------------------------------------------------------------

TYPES = form("""\
  - {type: integer, name: n, label: 整数}
  - {type: decimal, name: d, label: 小数}
  - {type: date, name: day, label: 日期}
  - {type: text, name: short, label: 短文本}
  - {type: text, name: long, label: 长文本, appearance: multiline}
  - {type: acknowledge, name: ok, label: 确认}
""")


@pytest.mark.parametrize("raw,stored", [("12", 12), (12, 12), (" -3 ", -3), (12.0, 12), ("+7", 7), (0, 0)])
def test_integer_accepted(raw, stored):
    """Is an integer accepted from text and from JSON numbers?"""
    result = run(TYPES, {"n": raw})
    assert result.ok and result.values["n"] == stored and type(result.values["n"]) is int


@pytest.mark.parametrize("raw", [1.5, "1.5", "abc", True, False, "1e3", math.nan, math.inf, "1" * 19, [1],
                                 {"v": 1}])
def test_integer_rejected(raw):
    """Are fractions, words, booleans, NaN and overlong digit strings rejected as integers?"""
    result = run(TYPES, {"n": raw})
    assert codes(result) == {"n": "expected_integer"} and "n" not in result.values


@pytest.mark.parametrize("raw,stored", [("3.5", 3.5), (3, 3), (2.25, 2.25), (".5", 0.5), ("-0.5", -0.5)])
def test_decimal_accepted(raw, stored):
    """Is a decimal accepted from text and numbers?"""
    result = run(TYPES, {"d": raw})
    assert result.ok and result.values["d"] == stored


@pytest.mark.parametrize("raw", ["1e5", "abc", True, math.nan, -math.inf, "1,5", [1.5]])
def test_decimal_rejected(raw):
    """Are exponents, words, booleans and non-finite numbers rejected as decimals?"""
    assert codes(run(TYPES, {"d": raw})) == {"d": "expected_number"}


def test_date_accepted():
    """Is a real YYYY-MM-DD date accepted and stored as text?"""
    result = run(TYPES, {"day": " 2024-02-29 "})
    assert result.ok and result.values["day"] == "2024-02-29"


@pytest.mark.parametrize("raw", ["2026-02-30", "2025-02-29", "2026-2-3", "2026/03/01", "2026-W01-1",
                                 "20260301", 20260301, "2026-13-01", "２０２６-０１-０１"])
def test_date_rejected(raw):
    """Are impossible dates, other formats and ISO week dates rejected?"""
    assert codes(run(TYPES, {"day": raw})) == {"day": "expected_date"}


def test_text_limits():
    """Do short and multiline text have their own length limits (after trimming)?"""
    assert run(TYPES, {"short": "字" * SHORT_TEXT_LIMIT, "long": "字" * LONG_TEXT_LIMIT}).ok
    result = run(TYPES, {"short": "字" * (SHORT_TEXT_LIMIT + 1), "long": "字" * (LONG_TEXT_LIMIT + 1)})
    assert codes(result) == {"short": "too_long", "long": "too_long"}
    assert error(result, "short").params == {"limit": SHORT_TEXT_LIMIT, "length": SHORT_TEXT_LIMIT + 1}
    assert str(SHORT_TEXT_LIMIT) in error(result, "short").text("en")
    assert run(TYPES, {"short": " 字 " + " " * SHORT_TEXT_LIMIT}).values["short"] == "字"


@pytest.mark.parametrize("raw", [12, ["a"], {"a": 1}, True])
def test_text_must_be_text(raw):
    """Is a non-string answer to a text question rejected?"""
    assert codes(run(TYPES, {"short": raw})) == {"short": "expected_text"}


@pytest.mark.parametrize("raw", [True, "OK", "ok", "yes", "true", "1", 1])
def test_acknowledge_accepted(raw):
    """Is each agreed form of 'I confirm' stored as True?"""
    result = run(TYPES, {"ok": raw})
    assert result.ok and result.values["ok"] is True


@pytest.mark.parametrize("raw", [False, "no", 0, 2, "false", 1.0, ["OK"]])
def test_acknowledge_rejected(raw):
    """Are refusals and other values rejected for acknowledge?"""
    assert codes(run(TYPES, {"ok": raw})) == {"ok": "expected_acknowledge"}


# --- choices ----------------------------------------------------------------------------

CHOICE_FORM = form("""\
  - {type: select_one yn, name: one, label: 单选}
  - {type: select_one num, name: numeric, label: 数字选项}
  - {type: select_multiple harm, name: many, label: 多选}
  - {type: rank tasks, name: ranked, label: 排序}
""")


def test_select_one_values():
    """Does select_one accept a listed code (ints for numeric codes) and reject others?"""
    result = run(CHOICE_FORM, {"one": "yes", "numeric": 2})
    assert result.ok and result.values == {"one": "yes", "numeric": "2"}
    assert codes(run(CHOICE_FORM, {"one": "maybe"})) == {"one": "invalid_choice"}
    assert codes(run(CHOICE_FORM, {"one": ["yes"]})) == {"one": "expected_choice"}
    assert codes(run(CHOICE_FORM, {"one": True})) == {"one": "expected_choice"}
    assert codes(run(CHOICE_FORM, {"numeric": 1.0})) == {"numeric": "expected_choice"}


def test_select_multiple_values():
    """Does select_multiple take a list or a space-separated string of listed codes?"""
    assert run(CHOICE_FORM, {"many": ["theft", "fraud"]}).values["many"] == ["theft", "fraud"]
    assert run(CHOICE_FORM, {"many": "fraud theft"}).values["many"] == ["fraud", "theft"]
    assert codes(run(CHOICE_FORM, {"many": ["theft", "arson"]})) == {"many": "invalid_choice"}
    assert codes(run(CHOICE_FORM, {"many": 5})) == {"many": "expected_choices"}
    assert codes(run(CHOICE_FORM, {"many": [{"theft": 1}]})) == {"many": "expected_choice"}


def test_select_multiple_duplicates():
    """Is the same option selected twice an error naming it?"""
    result = run(CHOICE_FORM, {"many": ["theft", "theft"]})
    assert codes(result) == {"many": "duplicate_selection"}
    assert "theft" in error(result, "many").text("en")


def test_exclusive_choice():
    """Can the exclusive 'none of these' be chosen alone but not with another option?"""
    assert run(CHOICE_FORM, {"many": ["none"]}).ok
    result = run(CHOICE_FORM, {"many": ["theft", "none"]})
    assert codes(result) == {"many": "exclusive_choice"}
    assert "都没有" in error(result, "many").text("zh")


def test_rank_values():
    """Must a ranking order every option exactly once?"""
    result = run(CHOICE_FORM, {"ranked": ["fraud", "patrol", "traffic"]})
    assert result.ok and result.values["ranked"] == ["fraud", "patrol", "traffic"]
    assert codes(run(CHOICE_FORM, {"ranked": ["fraud", "patrol"]})) == {"ranked": "expected_ranking"}
    assert codes(run(CHOICE_FORM, {"ranked": ["fraud", "fraud", "patrol"]})) == {"ranked": "duplicate_selection"}
    assert codes(run(CHOICE_FORM, {"ranked": ["fraud", "patrol", "arson"]})) == {"ranked": "invalid_choice"}


OTHER = form("""\
  - {type: select_one yn or_other, name: why, label: 原因}
  - {type: select_multiple harm or_other, name: harms, label: 受害}
""")


def test_or_other_needs_its_text():
    """Does choosing 'other' require the _other text, and is the text alone not relevant?"""
    assert codes(run(OTHER, {"why": "other"})) == {"why_other": "required"}
    assert codes(run(OTHER, {"why": "yes", "why_other": "x"})) == {"why_other": "not_relevant"}
    result = run(OTHER, {"why": "other", "why_other": " 邻里纠纷 ", "harms": ["fraud", "other"],
                         "harms_other": "敲诈"})
    assert result.ok and result.values["why_other"] == "邻里纠纷"
    # The invalid selection counts as unanswered, so its 'other' text is not relevant either.
    assert codes(run(OTHER, {"harms": ["none", "other"], "harms_other": "x"})) == {
        "harms": "exclusive_choice", "harms_other": "not_relevant"}


FILTERED = form("""\
  - {type: select_one street, name: street, label: 街道}
  - {type: select_one community, name: community, label: 社区, choice_filter: "street = ${street}"}
  - {type: select_one size, name: size, label: 规模, choice_filter: "label = '大社区'"}
""")


def test_choice_filter():
    """Does a cascade accept only the options its filter leaves?"""
    assert run(FILTERED, {"street": "s1", "community": "c12"}).ok
    assert codes(run(FILTERED, {"street": "s2", "community": "c12"})) == {"community": "invalid_choice"}
    assert codes(run(FILTERED, {"community": "c11"})) == {"community": "invalid_choice"}


def test_choice_filter_on_label():
    """Does a filter on the label column (which the loader allows) see the label?"""
    assert run(FILTERED, {"size": "big"}).ok
    assert codes(run(FILTERED, {"size": "small"})) == {"size": "invalid_choice"}


# --- constraints ------------------------------------------------------------------------

CONSTRAINED = form("""\
  - type: integer
    name: age
    label: 年龄
    constraint: ". >= 16 and ${age} <= 120"
    constraint_message: {zh: 年龄应在16到120岁之间, en: Age must be 16 to 120}
  - {type: integer, name: weeks, label: 周数, constraint: ". <= ${limit}"}
  - {type: integer, name: a, label: 甲}
  - {type: integer, name: b, label: 乙, constraint: "${total} <= 10"}
  - {type: calculate, name: limit, calculation: "52"}
  - {type: calculate, name: total, calculation: "${a} + ${b}"}
""")


def test_constraint_custom_message():
    """Does a failing constraint show the questionnaire's own message in zh and en?"""
    result = run(CONSTRAINED, {"age": 12})
    assert codes(result) == {"age": "constraint"} and "age" not in result.values
    age = error(result, "age")
    assert (age.text("zh"), age.text("en")) == ("年龄应在16到120岁之间", "Age must be 16 to 120")


def test_constraint_may_name_its_own_question():
    """Does a constraint that says ${age} instead of '.' see the answer being checked?"""
    result = run(CONSTRAINED, {"age": 40})
    assert result.ok and result.values["age"] == 40
    assert codes(run(CONSTRAINED, {"age": 121})) == {"age": "constraint"}


def test_constraint_on_a_later_calculation():
    """Does a constraint on a calculation defined later see its value?"""
    assert run(CONSTRAINED, {"weeks": 52}).ok
    result = run(CONSTRAINED, {"weeks": 53})
    assert codes(result) == {"weeks": "constraint"} and "weeks" not in result.values
    assert error(result, "weeks").text("en") == "the answer is not allowed"


def test_constraint_on_a_calculation_of_itself():
    """Does a constraint on a total that includes the answer itself work?"""
    result = run(CONSTRAINED, {"a": 4, "b": 6})
    assert result.ok and result.values["total"] == 10
    assert codes(run(CONSTRAINED, {"a": 4, "b": 7})) == {"b": "constraint"}


# --- calculations, notes, unknown keys, malformed submissions ---------------------------

CALCULATED = form("""\
  - {type: note, name: intro, label: 说明}
  - {type: integer, name: n, label: 人数}
  - {type: calculate, name: half, calculation: "${n} div 2"}
  - {type: calculate, name: ratio, calculation: "10 div ${n}"}
  - {type: calculate, name: bad_number, calculation: "number('abc')"}
  - {type: calculate, name: label, calculation: "concat('共', ${n}, '人')"}
  - {type: calculate, name: flag, calculation: "${n} > 3"}
  - {type: calculate, name: empty, calculation: "coalesce(${n}, '')"}
  - {type: calculate, name: hidden, calculation: "1", relevant: "${n} > 100"}
""")


def test_calculations_are_computed_and_stored():
    """Are calculations computed from the answers and stored as JSON values?"""
    result = run(CALCULATED, {"n": 4})
    assert result.values == {"n": 4, "half": 2, "ratio": 2.5, "bad_number": None, "label": "共4人",
                             "flag": True, "empty": 4}


def test_non_finite_calculations_are_none():
    """Are NaN and infinity stored as None, and an empty text as None?"""
    result = run(CALCULATED, {"n": 0})
    assert result.values["ratio"] is None and result.values["bad_number"] is None
    assert run(CALCULATED, {}).values["empty"] is None and run(CALCULATED, {}).values["half"] is None


def test_irrelevant_calculation_is_not_stored():
    """Is a calculation hidden by its relevance left out of the values?"""
    assert "hidden" not in run(CALCULATED, {"n": 4}).values
    assert run(CALCULATED, {"n": 101}).values["hidden"] == 1


def test_calculation_sent_by_the_client_is_recomputed():
    """Does a value sent for a calculation get replaced by the server's own?"""
    result = run(CALCULATED, {"n": 4, "half": 99})
    assert result.ok and result.values["half"] == 2


def test_notes_are_not_answerable():
    """Is an answer to a note an error, while an empty one is ignored?"""
    assert codes(run(CALCULATED, {"intro": "已读"})) == {"intro": "not_answerable"}
    assert run(CALCULATED, {"intro": ""}).ok


def test_unknown_question_keys():
    """Is every key that is not a question reported, long keys shortened?"""
    result = run(CALCULATED, {"n": 1, "nn": 2, 7: 3, "x" * 300: 4})
    assert codes(result) == {"nn": "unknown_question", "7": "unknown_question", "x" * 100: "unknown_question"}
    assert result.values["n"] == 1


def test_empty_unknown_key_still_names_a_field():
    """Does an empty-string key get a visible field name rather than ''?"""
    assert codes(run(CALCULATED, {"": 1})) == {'""': "unknown_question"}


@pytest.mark.parametrize("answers", [None, [], ["n", 1], "n=1", 5])
def test_answers_not_a_dict(answers):
    """Is a submission that is not an object one error on 'answers'?"""
    result = run(CALCULATED, answers)
    assert codes(result) == {"answers": "answers_not_object"} and result.values == {}


def test_default_today_is_used():
    """Does validate() work without an explicit today (defaulting to the real date)?"""
    compiled = form("  - {type: date, name: day, label: 日期, constraint: '. <= today()'}\n")
    assert validate(compiled, {"day": "2000-01-01"}).ok
    assert not validate(compiled, {"day": "2999-01-01"}).ok


def test_failed_constraint_does_not_blame_its_other_box():
    """When an or_other multi-select breaks its constraint, is only that question reported?"""
    from surveyapp.questionnaire import load_file
    from surveyapp.questionnaire.compiled import compile_questionnaire
    from tests.conftest import DATA, ROOT
    import json
    compiled = compile_questionnaire(load_file(ROOT / "questionnaires" / "community_safety.yaml"))
    answers = json.loads((DATA / "community_safety_answers.json").read_text(encoding="utf-8"))
    answers.update(c2_factors=["1", "2", "3", "other"], c2_factors_other="楼道里堆放杂物")
    errors = [(e.field, e.code) for e in validate(compiled, answers).errors]
    assert errors == [("c2_factors", "constraint")]
