"""Analysis plans: the bundled one loads; a broken one reports every problem with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveyapp.analysis.plan import plan_from_definition
from surveyapp.analysis.plan_file import build_plan, load_plan_file
from surveyapp.questionnaire import QuestionnaireError, load_file
from surveyapp.questionnaire.yaml_source import parse_document

ROOT = Path(__file__).resolve().parents[2]
FORM = load_file(ROOT / "questionnaires" / "community_safety.yaml")

BROKEN = """form_id: community_safety
ranking: {min_n: 0}
waves:
  - {name: 2026Q3, start: 2026-07-01, end: 2026-09-30}
  - {name: 2026Q3b, start: 2026-09-01, end: 2026-10-31}
  - {name: bad, start: 2026-13-01, end: 2026-12-31}
indicators:
  - {name: a, kind: rate, question: nope, positive: ["1"]}
  - {name: b, kind: rate, question: b1_safety, positive: ["1", "7"]}
  - {name: c, kind: score, question: g1_improve}
  - {name: d, kind: wobble}
  - {name: e, kind: composite, components: {b: 0.5, zz: 0.5}}
  - {name: b, kind: top2, question: b1_safety}
  - {name: f, kind: score, question: d1_officer, scores: linear}
  - {name: g, kind: admin, numerator: cases}
  - {name: h, kind: rate, question: b1_safety, positve: ["1"]}
"""


def test_the_bundled_plan_declares_the_domain_indicators():
    """Does the bundled plan load, with the KPIs of domain.md §4 and a round trip through JSON?"""
    plan = load_plan_file(ROOT / "questionnaires" / "community_safety.analysis.yaml", FORM)
    names = {i.name for i in plan.indicators}
    assert {"safety_rate", "safety_score", "satisfaction_rate", "familiarity_strict", "familiarity_loose",
            "awareness_rate", "visibility_rate", "victimisation_rate", "reporting_rate", "prevention_rate",
            "participation_rate", "tipoff_rate", "incidence_rate", "policing_index"} <= names
    assert plan.indicator("safety_rate").exclude == ("9",)
    assert plan.indicator("safety_score").scores == {"1": 100, "2": 75, "3": 50, "4": 25, "5": 0}
    assert plan.indicator("safety_top2").positive == ("1", "2")
    assert plan_from_definition(plan.to_definition(), "x") == plan


def test_a_broken_plan_reports_every_problem_with_line_and_indicator():
    """Is every problem of a plan reported at once, with line, indicator and what is wrong?"""
    with pytest.raises(QuestionnaireError) as caught:
        build_plan(parse_document(BROKEN, "x.analysis.yaml"), "x.analysis.yaml", FORM)
    lines = caught.value.report("en").splitlines()
    expected = [
        ("line 2", "invalid 'min_n' value '0'"),
        ("line 5", "wave '2026Q3b' overlaps wave '2026Q3'"),
        ("line 6", "invalid dates"),
        ("line 8", "indicator 'a'", "no question 'nope'"),
        ("line 9", "indicator 'b'", "no choice '7'"),
        ("line 10", "indicator 'c'", "of type 'text' cannot feed a 'score'"),
        ("line 11", "invalid 'kind' value 'wobble'"),
        ("line 12", "indicator 'e'", "no indicator 'zz'"),
        ("line 13", "duplicate name 'b'"),
        ("line 14", "indicator 'f'", "invalid 'scores' value 'linear'"),
        ("line 15", "indicator 'g'", "'denominator' is missing"),
        ("line 16", "indicator 'h'", "unknown key 'positve'"),
    ]
    for parts in expected:
        assert any(all(p in line for p in parts) for line in lines), (parts, lines)


def test_a_plan_for_another_questionnaire_is_refused():
    """Is a plan naming another form_id refused?"""
    with pytest.raises(QuestionnaireError, match="tiny"):
        build_plan(parse_document("form_id: tiny\n", "p.yaml"), "p.yaml", FORM)


def test_weighting_margins_are_checked_against_the_questionnaire():
    """Are margins on unknown questions, unknown codes or bad counts reported with their line?"""
    text = """form_id: community_safety
weighting:
  margins:
    a1_sex: {"1": 4900, "2": 5100}
    a2_age: {"1": 10, "7": 5}
    nope: {"1": 3}
    _channel: {c101: 0}
  trim_upper: 0.5
  strata: a4_street
"""
    with pytest.raises(QuestionnaireError) as caught:
        build_plan(parse_document(text, "w.analysis.yaml"), "w.analysis.yaml", FORM)
    report = caught.value.report("en")
    assert "no choice '7'" in report and "no question 'nope'" in report
    assert "invalid 'c101' value '0'" in report and "invalid 'trim_upper' value '0.5'" in report
    good = build_plan(parse_document(text.replace(', "7": 5', "").replace("    nope: {\"1\": 3}\n", "")
                                     .replace("{c101: 0}", "{c101: 8000}").replace("0.5", "4"),
                                     "w.analysis.yaml"), "w.analysis.yaml", FORM)
    assert good.weighting.margins["a1_sex"] == {"1": 4900.0, "2": 5100.0}
    assert good.weighting.trim_upper == 4 and good.weighting.strata == "a4_street"
