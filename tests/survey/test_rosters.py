"""Rosters (repeat groups) on the resident's page without JavaScript, and the form fields
that carry them."""

from __future__ import annotations

import re

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from surveyapp import catalogue
from surveyapp.extensions import db
from surveyapp.models import Response
from surveyapp.questionnaire.compiled import compile_questionnaire
from surveyapp.questionnaire.loader import load_file
from surveyapp.survey.formdata import answers_from_form, hidden_fields
from surveyapp.survey.rosters import change_entries, keep_relevant
from tests.builders import import_yaml
from tests.conftest import DATA
from tests.survey.forms import form_data, read_form

URL = "/s/household_roster"
FIRST = {"safety": "2", "hh_size": "2"}
MEMBERS = {"member[1].m_sex": "f", "member[1].m_age": "41", "member[1].m_victim": "no",
           "member[2].m_sex": "m", "member[2].m_age": "12", "member[2].m_victim": "yes",
           "member[2].m_crime": "fraud"}


def household():
    return catalogue.import_file(DATA / "household_roster.yaml")


def questionnaire():
    return load_file(DATA / "household_roster.yaml")


def post(client, html: str, answers: dict, **button):
    """Post the live page as a browser without JavaScript would, pressing ``button``."""
    page = read_form(html)
    data = [(k, v) for k, v in form_data(page, answers, button.pop("action", "next"))
            if not (button and k == "_action")]
    data += list(button.items())
    return client.post(URL, data=MultiDict(data)).get_data(as_text=True)


def test_form_fields_become_roster_entries():
    """Do member[n].x fields and _entries.member become the API's list of entries?"""
    q = questionnaire()
    form = MultiDict([("hh_size", "2"), ("_entries.member", "2"), ("member[1].m_age", "41"),
                      ("member[1].m_sex", "f"), ("member[2].m_age", ""), ("_entries.incident", "0")])
    answers = answers_from_form(q.questions(), form, q.repeats())
    assert answers == {"hh_size": "2", "member": [{"m_age": "41", "m_sex": "f"}, {}], "incident": []}


def test_roster_not_in_the_form_is_left_out():
    """Is a roster the page did not hold absent from the answers rather than empty?"""
    q = questionnaire()
    assert answers_from_form(q.questions(), MultiDict([("hh_size", "1")]), q.repeats()) == {"hh_size": "1"}


def test_hidden_fields_carry_entries_and_read_back():
    """Do the hidden fields of a roster on another page read back to the same entries?"""
    q = questionnaire()
    answers = {"hh_size": "2", "member": [{"m_sex": "f", "m_age": "41"}, {}]}
    fields = hidden_fields(q.questions(), answers, set(), q.repeats())
    assert ("_entries.member", "2") in fields and ("member[1].m_age", "41") in fields
    assert answers_from_form(q.questions(), MultiDict(fields), q.repeats()) == answers


def test_add_and_remove_buttons():
    """Does 添加 append an empty entry and 删除 remove exactly the one named?"""
    compiled = compile_questionnaire(questionnaire())
    answers = {"incident": [{"i_sat": "1"}, {"i_sat": "2"}]}
    assert change_entries(compiled, answers, "incident", None)
    assert answers["incident"] == [{"i_sat": "1"}, {"i_sat": "2"}, {}]
    assert change_entries(compiled, answers, None, "incident:1")
    assert answers["incident"] == [{"i_sat": "2"}, {}]
    assert not change_entries(compiled, answers, None, "incident:9")
    assert not change_entries(compiled, answers, "member", None)  # its count is fixed


def test_irrelevant_entry_answers_dropped():
    """Is an entry's answer that its sibling made irrelevant dropped, and the others kept?"""
    answers = {"member": [{"m_victim": "no", "m_crime": "fraud"}]}
    relevant = frozenset({"member", "member[1].m_victim"})
    assert keep_relevant(answers, relevant) == {"member": [{"m_victim": "no"}]}


def test_members_follow_household_size(client, app):
    """Does the page show as many member entries as the household size once it is given?"""
    household()
    html = client.get(URL).get_data(as_text=True)
    assert 'name="_entries.member" value="0"' in html and "填写上面的数目后" in html
    html = post(client, html, FIRST)
    assert 'name="_entries.member" value="2"' in html
    assert "第1条家庭成员" in html and "第2条家庭成员" in html and "第3条家庭成员" not in html
    assert read_form(html).errors == {}
    assert 'name="safety" value="2" checked' in html and 'value="2" autocomplete' not in html


def test_entry_relevance_and_constraint_beside_the_question(client, app):
    """Is an entry's constraint error shown beside its question in that entry, answers kept?"""
    household()
    html = post(client, client.get(URL).get_data(as_text=True), FIRST)
    answers = {**FIRST, **MEMBERS, "member[1].m_age": "130"}
    html = post(client, html, answers)
    # m_crime is asked of the member who was a victim only, and is not an error before it is seen.
    page = read_form(html)
    assert "member[2].m_crime" in page.visible and "member[1].m_crime" not in page.visible
    assert page.errors == {"member[1].m_age": "第1条家庭成员：年龄应在0到120岁之间"}
    html = post(client, html, answers)
    assert read_form(html).errors == {"member[1].m_age": "第1条家庭成员：年龄应在0到120岁之间"}
    assert 'name="member[1].m_age" type="text" inputmode="numeric" autocomplete="off" value="130"' in html
    assert 'name="member[2].m_crime" value="fraud" checked' in html
    assert 'name="safety" value="2" checked' in html and not db.session.scalars(select(Response)).all()


def test_whole_roster_stored_as_list_of_entries(client, app):
    """Do two added incidents, one removed, and the members end up stored as lists of dicts?"""
    household()
    html = post(client, client.get(URL).get_data(as_text=True), FIRST)
    answers = {**FIRST, **MEMBERS}
    html = post(client, html, answers, _add="incident")
    html = post(client, html, answers, _add="incident")
    assert "第2条报警经历" in html and 'name="member[2].m_crime" value="fraud" checked' in html
    answers.update({"incident[1].i_date": "2026-03-01", "incident[1].i_sat": "5",
                    "incident[2].i_date": "2026-06-02", "incident[2].i_sat": "1"})
    html = post(client, html, answers, _remove="incident:1")
    assert "第2条报警经历" not in html and 'value="2026-06-02"' in html
    answers = {k: v for k, v in answers.items() if not k.startswith("incident[")}
    answers.update({"incident[1].i_date": "2026-06-02", "incident[1].i_sat": "1"})
    resp = client.post(URL, data=MultiDict(form_data(read_form(html), answers, "submit")))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    (response,) = db.session.scalars(select(Response))
    assert response.answers["member"] == [{"m_sex": "f", "m_age": 41, "m_victim": "no"},
                                          {"m_sex": "m", "m_age": 12, "m_victim": "yes", "m_crime": "fraud"}]
    assert response.answers["incident"] == [{"i_date": "2026-06-02", "i_sat": "1"}]


def test_label_shows_earlier_answer(client, app):
    """Does ${hh_size} in a note show the household size given?"""
    household()
    html = post(client, client.get(URL).get_data(as_text=True), FIRST)
    assert re.search(r'您填写了<span class="ref" data-ref="hh_size">2</span>位家庭成员', html)


SIBLING = (DATA / "references.yaml").read_text(encoding="utf-8")


def test_sibling_reference_choice_label_and_new_inputs(client, app):
    """Inside an entry does ${k_name} show that entry's name; does a select show its label;
    and are time, datetime, range and hidden shown as they should be?"""
    import_yaml(SIBLING)
    html = client.get("/s/sib").get_data(as_text=True)
    assert 'type="time"' in html and 'type="datetime-local"' in html
    assert '<option value="10">10</option>' in html and "从0到10，每档2" in html
    assert 'name="h"' not in html
    data = [(k, v) for k, v in form_data(read_form(html), {"pick": "yes"}) if k != "_action"]
    html = client.post("/s/sib", data=MultiDict(data + [("_add", "kid")])).get_data(as_text=True)
    data = [(k, v) for k, v in form_data(read_form(html), {"pick": "yes", "kid[1].k_name": "小明"})
            if k != "_action"]
    html = client.post("/s/sib", data=MultiDict(data + [("_add", "kid")])).get_data(as_text=True)
    assert '您选了<span class="ref" data-ref="pick">是</span>' in html
    assert '<span class="ref" data-ref="k_name">小明</span>的年龄' in html
    assert '<span class="ref" data-ref="k_name"></span>的年龄' in html  # the second entry: no name yet


PAGED = """
form_id: paged
title: {zh: 分页花名册}
default_language: zh
survey:
  - type: begin_group
    name: p1
    label: {zh: 第一部分}
    children:
      - {type: integer, name: n, label: {zh: 几口人}, required: yes}
  - type: begin_group
    name: p2
    label: {zh: 第二部分}
    children:
      - type: begin_repeat
        name: person
        label: {zh: 成员}
        repeat_count: ${n}
        children:
          - {type: integer, name: p_age, label: {zh: 年龄}, required: yes}
  - type: begin_group
    name: p3
    label: {zh: 第三部分}
    children:
      - {type: text, name: remark, label: {zh: "共${n}人，第一位${p_age}岁"}}
"""


def test_roster_on_its_own_page_counted_from_an_earlier_one(client, app):
    """Does a roster page show as many entries as an earlier page's count, carry them on
    the next page in hidden fields, and store them?"""
    import_yaml(PAGED)
    html = client.get("/s/paged").get_data(as_text=True)
    data = form_data(read_form(html), {"n": "2"})
    html = client.post("/s/paged", data=MultiDict(data)).get_data(as_text=True)
    assert "第2条成员" in html and read_form(html).errors == {}
    data = form_data(read_form(html), {"person[1].p_age": "30", "person[2].p_age": "5"})
    html = client.post("/s/paged", data=MultiDict(data)).get_data(as_text=True)
    page = read_form(html)
    assert ("_entries.person", "2") in page.hidden and ("person[2].p_age", "5") in page.hidden
    assert '<span class="ref" data-ref="p_age">30、5</span>岁' in html
    resp = client.post("/s/paged", data=MultiDict(form_data(page, {"remark": "好"}, "submit")))
    assert resp.status_code == 303
    (response,) = db.session.scalars(select(Response))
    assert response.answers == {"n": 2, "person": [{"p_age": 30}, {"p_age": 5}], "remark": "好"}


def test_forged_roster_fields_are_harmless(client, app):
    """Do a huge entry count, a bad 删除 and an unknown 添加 come back as a page, not a crash?"""
    household()
    html = client.get(URL).get_data(as_text=True)
    data = [(k, v) for k, v in form_data(read_form(html), FIRST) if not k.startswith("_entries")]
    for extra in ([("_entries.incident", "99999")], [("_remove", "incident:x")], [("_add", "nope")],
                  [("_remove", "member:1")], [("_entries.member", "-3")]):
        resp = client.post(URL, data=MultiDict(data + extra))
        assert resp.status_code == 200 and "Traceback" not in resp.get_data(as_text=True)
    html = client.post(URL, data=MultiDict(data + [("_entries.incident", "99999")])).get_data(as_text=True)
    assert 'id="e-incident-50"' in html and 'id="e-incident-51"' not in html  # at most 50 are read
