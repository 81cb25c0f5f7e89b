"""The response simulator: every response valid, deterministic, and with the differences
between channels and waves that a report should find."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from pathlib import Path

import pytest

from surveyapp.questionnaire import load_file
from surveyapp.questionnaire.compiled import compile_questionnaire
from surveyapp.questionnaire.schema import groups
from surveyapp.questionnaire.validate import validate
from surveyapp.simulate import SimulatedResponse, SimulationError, default_profile, simulate
from tests.questionnaire.test_validate_properties import QUESTIONNAIRE as PROPERTY_FORM
from tests.questionnaire.test_xlsform_import import FORMS
from tests.questionnaire.xlsforms import write_xlsform

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.timezone.utc
START = dt.datetime(2025, 7, 1, tzinfo=UTC)
END = dt.datetime(2025, 9, 30, tzinfo=UTC)
PHONE = re.compile(r"1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}")


@pytest.fixture(scope="module")
def bundled():
    return compile_questionnaire(load_file(ROOT / "questionnaires" / "community_safety.yaml"))


@pytest.fixture(scope="module")
def sample(bundled) -> list[SimulatedResponse]:
    return list(simulate(bundled, 500, 11, start=START, end=END))


@pytest.fixture(scope="module")
def other_forms(tmp_path_factory):
    """tiny.yaml, the six test XLSForms and the property-test form (deferred constraint)."""
    directory = tmp_path_factory.mktemp("simulate_forms")
    forms = {name: load_file(write_xlsform(directory, name, **sheets)) for name, sheets in FORMS.items()}
    forms["tiny"] = load_file(ROOT / "tests" / "data" / "tiny.yaml")
    forms["property"] = PROPERTY_FORM
    return forms


def errors_of(compiled, response: SimulatedResponse):
    return validate(compiled, response.answers, today=response.submitted_at.date().isoformat()).errors


def rate(responses, name, positive, excluded=("9",)) -> float:
    """Share of ``positive`` codes among the valid answers to ``name``."""
    answers = [r.answers[name] for r in responses if r.answers.get(name) not in (None, *excluded)]
    return sum(a in positive for a in answers) / len(answers)


# --- validity ------------------------------------------------------------------------------

def test_bundled_responses_validate(bundled, sample):
    """Does every simulated response to the bundled questionnaire pass the validator?"""
    bad = [(r.answers, errors) for r in sample if (errors := errors_of(bundled, r))]
    assert not bad, bad[:3]


@pytest.mark.parametrize("name", ["tiny", "property", *FORMS])
def test_other_forms_validate(other_forms, name):
    """Do the test forms' simulated responses pass, with every question answered somewhere?"""
    compiled = compile_questionnaire(other_forms[name])
    responses = list(simulate(compiled, 400, 3, start=dt.datetime(2026, 3, 1, tzinfo=UTC),
                              end=dt.datetime(2026, 3, 20, tzinfo=UTC)))
    bad = [(r.answers, errors) for r in responses if (errors := errors_of(compiled, r))]
    assert not bad, bad[:3]
    answered = set().union(*(r.answers for r in responses))
    answerable = {q.name for q in compiled.order if q.type not in ("note", "calculate")}
    assert answerable - answered == set()  # no type or constraint silently skipped


def test_channel_pins_community(bundled, sample):
    """Is a4_community the response's channel, with the street that community belongs to?"""
    street_of = {c.value: c.columns["street"] for c in bundled.questionnaire.choices["community"]}
    assert {r.channel for r in sample} == {c.code for c in bundled.questionnaire.channels}
    for r in sample:
        assert r.answers["a4_community"] == r.channel
        assert r.answers["a4_street"] == street_of[r.channel]


# --- determinism ---------------------------------------------------------------------------

def test_same_seed_same_responses(bundled):
    """Same seed: identical output; another seed: different; a shorter run is a prefix."""
    first = list(simulate(bundled, 300, 5, start=START, end=END))
    assert first == list(simulate(bundled, 300, 5, start=START, end=END))
    assert first[:40] == list(simulate(bundled, 40, 5, start=START, end=END))
    other = list(simulate(bundled, 300, 6, start=START, end=END))
    assert sum(a.answers != b.answers for a, b in zip(first, other)) > 250


# --- differences a report should find ------------------------------------------------------

def test_channel_shift_visible(bundled):
    """Does the strong community (c301) beat the weak one (c302) on 安全感率, 满意率 and 见警率?"""
    responses = list(simulate(bundled, 3000, 21, channels=["c301", "c302"], start=START, end=END))
    high = [r for r in responses if r.channel == "c301"]
    low = [r for r in responses if r.channel == "c302"]
    assert len(high) > 1000 and len(low) > 1000
    assert rate(high, "b1_safety", "123") - rate(low, "b1_safety", "123") > 0.04
    assert rate(high, "e1_overall", "123") - rate(low, "e1_overall", "123") > 0.08
    assert rate(high, "d4_patrol", "12") - rate(low, "d4_patrol", "12") > 0.15
    assert 0.88 < rate(responses, "b1_safety", "123") < 0.99  # rates pile up near the top


def test_wave_shift_visible(bundled):
    """Does a later wave with a positive shift answer more positively, and carry its name?"""
    profile = dataclasses.replace(default_profile(bundled.questionnaire), wave_shift={"2025Q3": 0.0, "2025Q4": 0.5})
    q3 = list(simulate(bundled, 3000, 8, profile=profile, wave="2025Q3", start=START, end=END))
    q4 = list(simulate(bundled, 3000, 9, profile=profile, wave="2025Q4", start=START, end=END))
    assert {r.wave for r in q4} == {"2025Q4"}
    assert rate(q4, "b1_safety", "12") - rate(q3, "b1_safety", "12") > 0.08
    assert rate(q4, "e1_overall", "12") - rate(q3, "e1_overall", "12") > 0.08


def test_default_profile_waves(bundled):
    """Do default waves improve overall while some channels rise and others fall?"""
    profile = default_profile(bundled.questionnaire, waves=("2025Q3", "2025Q4"))
    assert profile.wave_shift == {"2025Q3": 0.0, "2025Q4": pytest.approx(0.12)}
    total = {c: profile.wave_shift["2025Q4"] + s for c, s in profile.wave_channel_shift["2025Q4"].items()}
    assert min(total.values()) < 0 < max(total.values())


# --- questionnaire logic -------------------------------------------------------------------

def test_relevance_respected(sample):
    """Are follow-ups present exactly when relevant, and calculations never submitted?"""
    for r in sample:
        a = r.answers
        victim = a["c3_harm"] != ["7"]
        assert ("c4_reported" in a) == victim
        assert ("c4_reason" in a) == (a.get("c4_reported") == "2")
        for row in ("e3_speed", "e3_attitude", "e3_outcome", "e3_ease"):
            assert (row in a) == (a["e2_contact"] == "1")
        assert ("c2_factors_other" in a) == ("other" in a["c2_factors"])
        assert "c3_victim" not in a and "f1_protected" not in a and "intro_note" not in a
        assert a["consent"] is True
    assert any("c4_reason" in r.answers for r in sample) and any("e3_ease" in r.answers for r in sample)


def test_exclusive_and_count_limits(sample):
    """Is "none of these" always alone, and are at most 3 factors chosen?"""
    for r in sample:
        for name in ("c3_harm", "f1_measures"):
            chosen = r.answers[name]
            assert chosen and len(set(chosen)) == len(chosen)
            assert "7" not in chosen or chosen == ["7"]
        assert 1 <= len(r.answers["c2_factors"]) <= 3
    assert any(r.answers["c3_harm"] == ["7"] for r in sample)
    assert any(len(r.answers["f1_measures"]) > 1 for r in sample)


def test_value_forms(sample):
    """Are values in the API's JSON forms?"""
    for r in sample:
        a = r.answers
        assert isinstance(a["a6_household"], int) and 1 <= a["a6_household"] <= 20
        assert isinstance(a["b1_safety"], str) and isinstance(a["c2_factors"], list)
        for name in ("g1_improve", "g2_suggestions"):
            assert name not in a or (isinstance(a[name], str) and 0 < len(a[name]) <= 200)


# --- timing and quality features -----------------------------------------------------------

def test_timing_bounds(sample):
    """Are times UTC, inside the period, mostly 3–12 minutes, speeders 30–90 s?"""
    for r in sample:
        assert r.started_at.tzinfo is not None and r.started_at.utcoffset() == dt.timedelta(0)
        assert START <= r.started_at < r.submitted_at <= END
        if r.speeder:
            assert 30 <= r.duration_s <= 90 and r.mode == "self"
        else:
            assert 150 <= r.duration_s <= 1500
    assert sum(180 <= r.duration_s <= 720 for r in sample) > 0.8 * len(sample)
    assert {r.mode for r in sample} == {"self", "interview"}
    assert 0 < sum(r.speeder for r in sample) < 0.1 * len(sample)


def test_default_period(bundled):
    """Without start and end, responses fall in the 28 days before today's midnight (UTC)."""
    end = dt.datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for r in simulate(bundled, 50, 1):
        assert end - dt.timedelta(days=28) <= r.started_at < r.submitted_at <= end


def test_quality_features(bundled, sample):
    """Straight-liners, 说不清 answers and open texts (some with numbers to scrub) all occur."""
    matrices = [[q.name for q in g.children] for g in groups(bundled.questionnaire.items) if g.is_matrix]
    flagged = [r for r in sample if r.straightliner]
    assert 0 < len(flagged) < 0.15 * len(sample)
    for r in flagged:
        for rows in matrices:
            assert len({r.answers[row] for row in rows if row in r.answers}) <= 1
    assert 0.01 < rate(sample, "b1_safety", "9", excluded=()) < 0.08
    texts = [r.answers[n] for r in sample for n in ("g1_improve", "g2_suggestions") if n in r.answers]
    assert 0.15 * len(sample) < len(texts) < 0.9 * len(sample)
    assert any(PHONE.search(t) for t in texts)


def test_speed(bundled):
    """A loose guard: thousands of responses take well under a second each batch."""
    began = time.process_time()
    assert sum(1 for _ in simulate(bundled, 3000, 2, start=START, end=END)) == 3000
    assert time.process_time() - began < 15


# --- errors --------------------------------------------------------------------------------

def test_bad_arguments(bundled):
    """Are a wrong scale, a negative n and an empty period refused at once?"""
    profile = dataclasses.replace(default_profile(bundled.questionnaire), scales={"b1_safety": (0.5, 0.5)})
    with pytest.raises(SimulationError, match="b1_safety"):
        simulate(bundled, 10, 1, profile=profile)
    with pytest.raises(SimulationError):
        simulate(bundled, -1, 1)
    with pytest.raises(SimulationError):
        simulate(bundled, 1, 1, start=START, end=START)


# --- rosters and the newer question types --------------------------------------------------

TYPES_FORM = """
form_id: sim_types
title: {zh: 题型与花名册, en: Types and rosters}
version: "1"
default_language: zh
survey:
  - {type: hidden, name: batch, default: "b7"}
  - {type: range, name: r_int, parameters: "start=0 end=10 step=2", required: yes, label: 评分}
  - {type: range, name: r_dec, parameters: "start=1 end=0 step=-0.25", required: yes, label: 比例}
  - {type: time, name: t_wake, required: yes, label: 起床时间}
  - {type: datetime, name: dt_last, required: yes, label: 上次报警时间}
  - {type: select_one yn, name: has_car, required: yes, label: 有车吗}
  - type: begin_repeat
    name: car
    label: 车辆
    relevant: ${has_car} = 'yes'
    children:
      - {type: integer, name: c_year, required: yes, label: 年份, constraint: ". >= 2000 and . <= 2026"}
      - {type: select_one yn, name: c_stolen, required: yes, label: 被盗过吗}
      - {type: time, name: c_when, required: yes, relevant: "${c_stolen} = 'yes'", label: 几点}
      - {type: range, name: c_score, parameters: "start=1 end=5", required: yes, label: 满意,
         constraint: ". <= ${r_int} + 1"}
  - {type: calculate, name: n_cars, calculation: "count(${c_year})"}
  - {type: integer, name: parked, required: yes, label: 停车数, constraint: ". <= ${n_cars}"}
choices:
  yn:
    - {name: "yes", label: 是}
    - {name: "no", label: 否}
"""
MARCH = dict(start=dt.datetime(2026, 3, 1, tzinfo=UTC), end=dt.datetime(2026, 3, 20, tzinfo=UTC))


@pytest.fixture(scope="module")
def household():
    return compile_questionnaire(load_file(ROOT / "tests" / "data" / "household_roster.yaml"))


@pytest.fixture(scope="module")
def types_form(tmp_path_factory):
    path = tmp_path_factory.mktemp("simulate_types") / "sim_types.yaml"
    path.write_text(TYPES_FORM, encoding="utf-8")
    return compile_questionnaire(load_file(path))


def test_roster_entries_follow_count_and_relevance(household):
    """Does the member roster have exactly hh_size entries, each answered by its own relevance?"""
    responses = list(simulate(household, 300, 4, **MARCH))
    assert not [errors for r in responses if (errors := errors_of(household, r))]
    for r in responses:
        members = r.answers["member"]
        assert len(members) == r.answers["hh_size"]
        for m in members:
            assert {"m_sex", "m_age", "m_victim"} <= set(m) and 0 <= m["m_age"] <= 120
            assert ("m_crime" in m) == (m["m_victim"] == "yes")
    counts = {len(r.answers.get("incident", [])) for r in responses}
    assert counts == {0, 1, 2, 3}  # a roster without repeat_count: 0 to 3 entries
    assert any(m["m_victim"] == "no" for r in responses for m in r.answers["member"])


def test_newer_types_and_hidden(types_form):
    """Are range, time and datetime answered in form and range, hidden and calculations never sent?"""
    responses = list(simulate(types_form, 400, 9, **MARCH))
    assert not [(r.answers, errors) for r in responses if (errors := errors_of(types_form, r))][:3]
    for r in responses:
        a = r.answers
        assert "batch" not in a and "n_cars" not in a
        assert a["r_int"] in {0, 2, 4, 6, 8, 10} and a["r_dec"] in {0.0, 0.25, 0.5, 0.75, 1.0}
        assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", a["t_wake"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", a["dt_last"])
        assert ("car" in a) == (a["has_car"] == "yes")
        for car in a.get("car", []):
            assert 2000 <= car["c_year"] <= 2026 and car["c_score"] <= a["r_int"] + 1
            assert ("c_when" in car) == (car["c_stolen"] == "yes")
        assert a["parked"] <= len(a.get("car", []))
    assert any(len(r.answers.get("car", [])) >= 2 for r in responses)
    assert any("c_when" in car for r in responses for car in r.answers.get("car", []))


def test_roster_simulation_deterministic(household):
    """Same seed, same rosters; a shorter run is a prefix."""
    first = list(simulate(household, 60, 2, **MARCH))
    assert first == list(simulate(household, 60, 2, **MARCH))
    assert first[:10] == list(simulate(household, 10, 2, **MARCH))


def test_roster_responses_stored_by_store_batch(app):
    """Does the server's batch path (its own validation) store simulated roster responses?"""
    from surveyapp import responses
    from surveyapp.responses import compiled_version, find_target
    from tests.builders import import_file

    import_file(ROOT / "tests" / "data" / "household_roster.yaml")
    target = find_target("household_roster")
    compiled = compiled_version(target.version_id, target.checksum)
    assert responses.store_batch("household_roster", simulate(compiled, 40, 3)) == 40
