"""Property tests: validate() takes any submission without raising, and what it
returns is always well formed (errors name a field, values are storable JSON)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveyapp.questionnaire import load_text
from surveyapp.questionnaire.compiled import compile_questionnaire
from surveyapp.questionnaire.messages import MESSAGES
from surveyapp.questionnaire.validate import validate

PROPERTY = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

SURVEY = """\
form_id: property_form
title: {zh: 社区安全与警务满意度, en: Community safety and policing}
study: {organisation: 测试派出所, sampling: cluster}
channels:
  - {code: c1, label: 一社区}
survey:
  - {type: note, name: intro, label: 欢迎参加调查}
  - {type: acknowledge, name: consent, label: 我同意, required: yes}
  - {type: integer, name: age, label: 年龄, required: yes, constraint: ". >= 16 and . <= 120",
     constraint_message: {zh: 年龄应在16到120之间, en: Age 16 to 120}}
  - {type: select_one street, name: street, label: 街道}
  - {type: select_one community, name: community, label: 社区, choice_filter: "street = ${street}"}
  - {type: select_multiple harm, name: harm, label: 受害经历, required: yes}
  - type: begin_group
    name: victim_block
    label: 受害情况
    relevant: "not(selected(${harm}, 'none')) and count-selected(${harm}) > 0"
    children:
      - {type: date, name: when, label: 日期, constraint: ". <= today()"}
      - {type: decimal, name: loss, label: 损失, constraint: ". >= 0", required: "selected(${harm}, 'fraud')"}
      - {type: select_one yn or_other, name: reported, label: 是否报警}
      - type: begin_group
        name: rating
        label: 满意度
        appearance: table-list
        relevant: "${reported} = 'yes'"
        children:
          - {type: select_one agree, name: r_speed, label: 出警速度}
          - {type: select_one agree, name: r_attitude, label: 态度}
  - {type: rank tasks, name: priorities, label: 警务工作排序}
  - {type: integer, name: household, label: 家庭人数, constraint: ". <= ${cap}"}
  - {type: calculate, name: cap, calculation: "if(${age} > 60, 5, 20)"}
  - {type: calculate, name: per_person, calculation: "${loss} div ${household}"}
  - {type: calculate, name: score, calculation: "number(${r_speed}) + number(${r_attitude})"}
  - {type: calculate, name: summary, calculation: "concat(${street}, '/', coalesce(${community}, '-'))"}
  - {type: text, name: comment, label: 意见, appearance: multiline,
     constraint: "string-length(.) >= 2 and not(regex(., '^[0-9]+$'))"}
choices:
  street:
    - {name: s1, label: 东街道}
    - {name: s2, label: 西街道}
  community:
    - {name: c1, label: 一社区, street: s1}
    - {name: c2, label: 二社区, street: s2}
  harm:
    - {name: theft, label: 盗窃}
    - {name: fraud, label: 诈骗}
    - {name: none, label: 都没有, exclusive: true}
  yn:
    - {name: "yes", label: 是}
    - {name: "no", label: 否}
  agree:
    - {name: "1", label: 不满意}
    - {name: "2", label: 一般}
    - {name: "3", label: 满意}
  tasks:
    - {name: patrol, label: 巡逻}
    - {name: fraud, label: 反诈}
"""

QUESTIONNAIRE = load_text(SURVEY, "property.yaml")
COMPILED = compile_questionnaire(QUESTIONNAIRE)
NAMES = [q.name for q in QUESTIONNAIRE.questions()]
CODES = sorted({c.value for cs in QUESTIONNAIRE.choices.values() for c in cs} | {"other"})

# Plausible values reach the deep paths (relevance, filters, constraints); wild ones the rest.
PLAUSIBLE = st.one_of(
    st.sampled_from(CODES), st.lists(st.sampled_from(CODES), max_size=4), st.integers(-5, 130),
    st.sampled_from(["2026-03-01", "2026-02-30", "2999-01-01", "OK", "yes", "12", "1.5", " ", ""]),
)
LEAVES = st.one_of(
    st.none(), st.booleans(), st.text(max_size=30), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.text(max_size=10), max_size=5), PLAUSIBLE,
)
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
KEYS = st.one_of(st.sampled_from(NAMES), st.sampled_from(NAMES), st.text(max_size=20))
ANSWERS = st.dictionaries(KEYS, VALUES, max_size=len(NAMES) + 3)


def check_result(result) -> None:
    """The invariants every validation result keeps."""
    for error in result.errors:
        assert isinstance(error.field, str) and error.field
        assert error.code in MESSAGES
        assert error.text("zh") and error.text("en")
    assert set(result.values) <= set(NAMES)
    json.dumps(result.values, allow_nan=False)


@PROPERTY
@given(ANSWERS)
def test_any_answers_validate_without_raising(answers):
    """Does validate() return well-formed errors and JSON-safe values for any answer dict?"""
    result = validate(COMPILED, answers, today="2026-03-20")
    check_result(result)
    known = set(NAMES)
    for error in result.errors:
        assert error.field in known or error.code == "unknown_question"


@PROPERTY
@given(ANSWERS)
def test_errors_and_values_are_consistent(answers):
    """Is every unknown key reported, and no answered question both stored and in error?"""
    result = validate(COMPILED, answers, today="2026-03-20")
    unknown = {str(k)[:100] or '""' for k in answers if k not in set(NAMES)}
    assert {e.field for e in result.errors if e.code == "unknown_question"} == unknown
    calculated = {q.name for q in QUESTIONNAIRE.questions() if q.type == "calculate"}
    failed = {e.field for e in result.errors}
    assert not (failed & set(result.values)) - calculated


@PROPERTY
@given(ANSWERS)
def test_accepted_values_validate_again(answers):
    """When a submission passes, do its stored values pass again unchanged?"""
    result = validate(COMPILED, answers, today="2026-03-20")
    if result.ok:
        calculated = {q.name for q in QUESTIONNAIRE.questions() if q.type == "calculate"}
        again = validate(COMPILED, {k: v for k, v in result.values.items() if k not in calculated},
                         today="2026-03-20")
        assert again.ok and again.values == result.values


@PROPERTY
@given(VALUES)
def test_non_dict_submissions(answers):
    """Is anything that is not a dict answered with a single 'answers' error?"""
    result = validate(COMPILED, answers if not isinstance(answers, dict) else [answers])
    assert [(e.field, e.code) for e in result.errors] == [("answers", "answers_not_object")]
    check_result(result)


def test_a_valid_submission_passes():
    """Does a realistic complete submission pass, with the calculations stored?"""
    result = validate(COMPILED, {
        "consent": True, "age": 65, "street": "s2", "community": "c2", "harm": ["fraud"], "when": "2026-03-01",
        "loss": "300", "reported": "yes", "r_speed": "3", "r_attitude": "2", "priorities": ["fraud", "patrol"],
        "household": 3, "comment": "希望加强反诈宣传"}, today="2026-03-20")
    assert result.ok, result.errors
    assert result.values["cap"] == 5 and result.values["per_person"] == 100
    assert result.values["score"] == 5 and result.values["summary"] == "s2/c2"
