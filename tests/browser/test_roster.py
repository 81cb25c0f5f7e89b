"""The household roster questionnaire in Chromium at phone width, with and without JavaScript:
member entries follow the household size, incidents are added and removed, an in-entry
constraint error shows beside its question, and the rosters are stored as lists of entries."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from surveyapp import catalogue
from surveyapp.extensions import db
from surveyapp.models import Response
from tests.conftest import DATA, ROOT

AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"

URL = "/s/household_roster"
MEMBERS = [{"m_sex": "f", "m_age": 41, "m_victim": "no"},
           {"m_sex": "m", "m_age": 12, "m_victim": "yes", "m_crime": "fraud"}]
KEPT_INCIDENT = {"i_date": "2026-06-02", "i_sat": "1"}


@pytest.fixture
def household(app):
    return catalogue.import_file(DATA / "household_roster.yaml")


def field(page, name: str, value: str | None = None):
    """The input called ``name`` (``member[2].m_age``), or its option ``value``."""
    return page.locator(f'[name="{name}"]' + (f'[value="{value}"]' if value is not None else ""))


def by_id(page, element_id: str):
    return page.locator(f'[id="{element_id}"]')


def press(page, locator, scripts: bool) -> None:
    """Press a submit button; without JavaScript wait for the server's page that answers it."""
    if scripts:
        locator.click()
    else:
        with page.expect_navigation():
            locator.click()


def fill_member(page, number: int, member: dict) -> None:
    prefix = f"member[{number}]."
    field(page, prefix + "m_sex", member["m_sex"]).check()
    field(page, prefix + "m_victim", member["m_victim"]).check()
    age = field(page, prefix + "m_age")
    age.fill(str(member["m_age"]))
    age.blur()  # an error shown on leaving the box moves what is below it


def stored() -> Response:
    db.session.remove()
    (response,) = db.session.scalars(select(Response)).all()
    return response


@pytest.mark.parametrize("scripts", [True, False], ids=["js", "nojs"])
def test_household_roster(new_context, household, screenshot, scripts):
    """Do members follow hh_size, incidents add and remove, an entry's error show beside its
    question with answers kept, and the response store both rosters as lists of dicts?"""
    page = new_context(java_script_enabled=scripts).new_page()
    page.goto(URL)
    page.get_by_label("比较安全", exact=True).check()
    field(page, "hh_size").fill("2")
    if not scripts:
        press(page, page.locator("#next"), scripts)  # the server lists the members
    expect(page.locator('[data-repeat="member"] .entry')).to_have_count(2)
    expect(page.get_by_text("第2条家庭成员")).to_be_visible()
    fill_member(page, 1, {**MEMBERS[0], "m_age": 130})
    fill_member(page, 2, MEMBERS[1])
    if not scripts:
        press(page, page.locator("#next"), scripts)  # the server shows m_crime for member 2
    expect(by_id(page, "q-member[1].m_crime")).to_be_hidden()
    field(page, "member[2].m_crime", "fraud").check()
    press(page, page.locator("#next"), scripts)
    error = by_id(page, "err-member[1].m_age")
    expect(error).to_be_visible()
    expect(error).to_contain_text("年龄应在0到120岁之间")
    expect(by_id(page, "q-member[1].m_age").locator(".err")).to_be_visible()  # beside its question
    expect(field(page, "member[1].m_age")).to_have_value("130")
    expect(field(page, "member[2].m_crime", "fraud")).to_be_checked()
    expect(page.get_by_label("比较安全", exact=True)).to_be_checked()
    screenshot(page, "entry-error")
    field(page, "member[1].m_age").fill("41")

    add = page.get_by_role("button", name="添加一条报警经历")
    press(page, add, scripts)
    press(page, add, scripts)
    expect(page.locator('[data-repeat="incident"] .entry')).to_have_count(2)
    field(page, "incident[1].i_date").fill("2026-03-01")
    field(page, "incident[1].i_sat", "5").check()
    field(page, "incident[2].i_date").fill(KEPT_INCIDENT["i_date"])
    field(page, "incident[2].i_sat", KEPT_INCIDENT["i_sat"]).check()
    screenshot(page, "two-incidents")
    press(page, page.get_by_role("button", name="删除第1条报警经历"), scripts)
    expect(page.locator('[data-repeat="incident"] .entry')).to_have_count(1)
    expect(field(page, "incident[1].i_date")).to_have_value(KEPT_INCIDENT["i_date"])
    expect(field(page, "incident[1].i_sat", KEPT_INCIDENT["i_sat"])).to_be_checked()
    expect(field(page, "member[1].m_age")).to_have_value("41")
    expect(page.get_by_text("您填写了2位家庭成员的情况")).to_be_visible()
    screenshot(page, "one-incident")

    press(page, page.locator("#next"), scripts)
    expect(page.locator("#thanks")).to_be_visible()
    answers = stored().answers
    assert answers["member"] == MEMBERS
    assert answers["incident"] == [KEPT_INCIDENT]
    assert answers["hh_size"] == 2 and answers["safety"] == "2"


def test_count_changes_and_draft_with_javascript(new_context, household, screenshot):
    """With JavaScript, do member entries follow hh_size as it changes (answers of cut entries
    coming back), does ${hh_size} follow, and does a reload bring every roster entry back?"""
    page = new_context().new_page()
    page.goto(URL)
    members = page.locator('[data-repeat="member"] .entry')
    expect(members).to_have_count(0)
    field(page, "hh_size").fill("3")
    expect(members).to_have_count(3)
    field(page, "member[3].m_age").fill("70")
    field(page, "hh_size").fill("1")
    expect(members).to_have_count(1)
    expect(page.get_by_text("您填写了1位家庭成员的情况")).to_be_visible()
    field(page, "hh_size").fill("3")
    expect(field(page, "member[3].m_age")).to_have_value("70")
    field(page, "member[2].m_victim", "yes").check()
    expect(by_id(page, "q-member[2].m_crime")).to_be_visible()
    expect(by_id(page, "q-member[1].m_crime")).to_be_hidden()
    page.get_by_role("button", name="添加一条报警经历").click()
    field(page, "incident[1].i_date").fill("2026-05-04")
    page.reload()
    expect(members).to_have_count(3)
    expect(field(page, "member[3].m_age")).to_have_value("70")
    expect(field(page, "member[2].m_victim", "yes")).to_be_checked()
    expect(by_id(page, "q-member[2].m_crime")).to_be_visible()
    expect(field(page, "incident[1].i_date")).to_have_value("2026-05-04")
    screenshot(page, "restored")


def test_roster_page_accessibility(new_context, household):
    """Does the roster page, with entries and errors shown, pass axe-core's WCAG A/AA rules?"""
    page = new_context(bypass_csp=True).new_page()
    page.goto(URL)
    field(page, "hh_size").fill("2")
    page.get_by_role("button", name="添加一条报警经历").click()
    page.locator("#next").click()
    expect(by_id(page, "err-member[1].m_sex")).to_be_visible()
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})")
    serious = [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []


SIBLING = (DATA / "references.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("scripts", [True, False], ids=["js", "nojs"])
def test_references_and_other_inputs(new_context, app, screenshot, scripts):
    """Do ${pick} (a choice label) and an entry's ${k_name} show, and are time, datetime,
    range and hidden answered and stored as the server expects?"""
    from tests.builders import import_yaml
    import_yaml(SIBLING)
    page = new_context(java_script_enabled=scripts).new_page()
    page.goto("/s/sib")
    page.get_by_label("是", exact=True).check()
    add = page.get_by_role("button", name="添加一条孩子")
    press(page, add, scripts)
    field(page, "kid[1].k_name").fill("小明")
    press(page, add, scripts)
    field(page, "kid[2].k_name").fill("小红")
    field(page, "t").fill("08:30")
    field(page, "dt").fill("2026-11-03T19:45")
    field(page, "r").select_option("6")
    if not scripts:
        press(page, page.get_by_role("button", name="删除第2条孩子"), scripts)
        press(page, add, scripts)
        field(page, "kid[2].k_name").fill("小红")
        press(page, add, scripts)
        press(page, page.get_by_role("button", name="删除第3条孩子"), scripts)
    expect(page.locator("#q-n0")).to_contain_text("您选了是")
    expect(by_id(page, "q-kid[1].k_age")).to_contain_text("小明的年龄")
    expect(by_id(page, "q-kid[2].k_age")).to_contain_text("小红的年龄")
    expect(page.locator('[name="h"]')).to_have_count(0)
    expect(page.get_by_text("从0到10，每档2")).to_be_visible()
    screenshot(page, "filled")
    press(page, page.locator("#next"), scripts)
    expect(page.locator("#thanks")).to_be_visible()
    answers = stored().answers
    assert answers == {"pick": "yes", "kid": [{"k_name": "小明"}, {"k_name": "小红"}], "t": "08:30",
                       "dt": "2026-11-03T19:45", "r": 6, "h": "x"}
