"""The bundled questionnaire in Chromium with JavaScript off, and an accessibility check."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from surveyapp import catalogue
from surveyapp.extensions import db
from surveyapp.models import Response
from tests.conftest import DATA, ROOT

ANSWERS = json.loads((DATA / "community_safety_answers.json").read_text(encoding="utf-8"))
CALCULATED = {"c3_victim", "f1_protected"}
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def bundled(app):
    return catalogue.import_file(ROOT / "questionnaires" / "community_safety.yaml")


def questions(page) -> list[dict]:
    """The page's question definitions, read from the JSON block (no script needed)."""
    return json.loads(page.locator("#survey-definition").text_content())["questions"]


def fill_visible(page, answers: dict) -> None:
    """Answer every question the server shows on this page."""
    for question in questions(page):
        name = question["name"]
        box = page.locator(f"section.page #q-{name}")
        if name not in answers or question["type"] in ("note", "calculate") or not box.count() \
                or not box.is_visible():
            continue
        value = answers[name]
        if question["type"] == "acknowledge":
            box.locator("input[type=checkbox]").check()
        elif question["type"] in ("select_one", "select_multiple"):
            for code in value if isinstance(value, list) else [value]:
                box.locator(f'input[value="{code}"]').check()
        else:
            box.locator("input, textarea").first.fill(str(value))


def post(page) -> None:
    """Press 下一页/提交 with scripts off and wait for the server's next page to load."""
    with page.expect_navigation():
        page.locator("#next").click()


def walk(page, answers: dict, screenshot, limit: int = 30) -> None:
    """Fill and post page after page until the thanks page."""
    for step in range(limit):
        if page.locator("#thanks").count():
            return
        fill_visible(page, answers)
        screenshot(page, f"nojs-step{step:02d}")
        post(page)
    raise AssertionError("the walk did not reach the thanks page")


def test_walk_without_javascript(new_context, bundled, app, screenshot):
    """With JavaScript off, does the walk show errors beside questions, keep answers, and store them?"""
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/s/community_safety?c=c101")
    post(page)
    assert page.locator("#err-consent").is_visible()
    screenshot(page, "consent-error")
    wrong = {**ANSWERS, "a6_household": 25}
    for _ in range(5):
        fill_visible(page, wrong)
        post(page)
        if page.locator("#err-a6_household").is_visible():
            break
    screenshot(page, "household-error")
    assert page.locator("#err-a6_household").is_visible()
    assert page.locator("#i-a6_household").input_value() == "25"
    assert page.locator(f'#q-a1_sex input[value="{ANSWERS["a1_sex"]}"]').is_checked()
    walk(page, ANSWERS, screenshot)
    screenshot(page, "thanks")
    db.session.remove()
    (response,) = db.session.scalars(select(Response)).all()
    assert {k: v for k, v in response.answers.items() if k not in CALCULATED} == ANSWERS
    assert response.channel == "c101"


def test_victim_question_appears_without_javascript(new_context, bundled, app, screenshot):
    """With JavaScript off, does choosing a harm bring back its page with 'did you report it?'"""
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/s/community_safety")
    for _ in range(6):
        if page.locator("#q-c3_harm").count() and page.locator("#q-c3_harm").is_visible():
            break
        fill_visible(page, ANSWERS)
        post(page)
    assert not page.locator("#q-c4_reported").is_visible()
    fill_visible(page, ANSWERS)
    post(page)
    screenshot(page, "victim-followup")
    assert page.locator("#q-c4_reported").is_visible()


@pytest.mark.parametrize("javascript", [True, False])
def test_accessibility(new_context, bundled, screenshot, javascript):
    """Does every page pass axe-core's WCAG A/AA rules with no serious or critical violation?"""
    context = new_context(bypass_csp=True, java_script_enabled=javascript)
    page = context.new_page()
    page.goto("/s/community_safety")
    found = []
    for step in range(12):
        if javascript:
            page.add_script_tag(path=str(AXE))
            found += _violations(page)
        else:
            found += _label_check(page)
        if page.locator("#next").get_attribute("value") == "submit" or page.locator("#thanks").count():
            break
        fill_visible(page, ANSWERS)
        if javascript:
            page.locator("#next").click()
            page.wait_for_timeout(150)
        else:
            post(page)
    assert found == []


def _violations(page) -> list[str]:
    result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


def _label_check(page) -> list[str]:
    """Without scripts axe cannot run; check that every visible input has a label."""
    unlabeled = []
    for field in page.locator("section.page input:not([type=hidden]), section.page select, "
                              "section.page textarea").all():
        if not field.is_visible():
            continue
        if not _has_label(page, field):
            unlabeled.append(field.get_attribute("name"))
    return unlabeled


def _has_label(page, field) -> bool:
    name_id = field.get_attribute("id")
    inside_label = field.locator("xpath=ancestor::label").count() > 0
    return inside_label or (name_id is not None and page.locator(f'label[for="{name_id}"]').count() > 0)


def test_phone_layout(new_context, bundled, screenshot):
    """At 390 px: no sideways scrolling, 44 px touch targets, and 16 px inputs (no zoom on focus)?"""
    page = new_context().new_page()
    page.goto("/s/community_safety")
    sizes = []
    for step in range(10):
        width = page.evaluate("document.documentElement.scrollWidth")
        boxes = [b for b in (el.bounding_box() for el in page.locator("section.page:not([hidden]) .opt").all()) if b]
        fonts = page.eval_on_selector_all(
            "section.page:not([hidden]) input[type=text], section.page:not([hidden]) textarea, "
            "section.page:not([hidden]) select", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
        buttons = [page.locator(s).bounding_box() for s in ("#next",) if page.locator(s).is_visible()]
        sizes.append((width, min([b["height"] for b in boxes + buttons] or [44]), min(fonts or [16])))
        if page.locator("#next").get_attribute("value") == "submit":
            break
        fill_visible(page, ANSWERS)
        page.locator("#next").click()
        page.wait_for_timeout(100)
    screenshot(page, "last-page")
    assert all(width <= 390 for width, _, _ in sizes), sizes
    assert all(height >= 44 for _, height, _ in sizes), sizes
    assert all(font >= 16 for _, _, font in sizes), sizes
