"""The survey with JavaScript on, in Chromium at phone size: the bundled questionnaire end to end.

The tests fill questionnaires/community_safety.yaml through the page as a
resident (or a field worker) would, and check what the page shows and what
the server stored; one small questionnaire covers the other question types.
Screenshots of the pages visited go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Response
from tests.builders import import_file, import_yaml, make_field_worker

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
ANSWERS = json.loads((DATA / "community_safety_answers.json").read_text(encoding="utf-8"))
CALCULATED = {"c3_victim", "f1_protected"}
FORM = "community_safety"
SURVEY = f"/s/{FORM}"
OFFLINE = "网络不可用，答卷已保存在本机，恢复网络后会自动重新提交"


@pytest.fixture
def bundled(app):
    """The bundled questionnaire, imported."""
    return import_file(ROOT / "questionnaires" / "community_safety.yaml")


# --- helpers ---------------------------------------------------------------------------------

_definitions: dict[str, dict] = {}


def definition(page) -> dict:
    """The page's client definition (the same for every page of the questionnaire)."""
    if FORM not in _definitions:
        _definitions[FORM] = json.loads(page.locator("#survey-definition").text_content())
    return _definitions[FORM]


def current_page(page) -> int:
    return int(page.locator("section.page:not([hidden])").get_attribute("data-page"))


def visible(page, selector: str) -> bool:
    return page.locator(selector).is_visible()


def answer(page, question: dict, value) -> None:
    """Answer one question through its inputs, as a resident would."""
    name, kind = question["name"], question["type"]
    box = page.locator(f"#q-{name}")
    if kind == "acknowledge":
        box.locator("input[type=checkbox]").check()
    elif kind in ("select_one", "select_multiple"):
        for code in value if isinstance(value, list) else [value]:
            box.locator(f'input[value="{code}"]').check()
    else:
        field = box.locator("input, textarea").first
        field.fill(str(value))
        field.blur()


def fill_current(page, answers: dict) -> int:
    """Answer the questions shown on the current page (in order, as they appear); its number."""
    number = current_page(page)
    for question in definition(page)["questions"]:
        if question["page"] != number or question["name"] not in answers:
            continue
        if not question.get("relevant") or visible(page, f"#q-{question['name']}"):
            answer(page, question, answers[question["name"]])
    return number


def fill_pages(page, answers: dict, until: int | None = None, shoot=None) -> None:
    """Answer each page and go on, until page ``until`` is shown or the last page is filled."""
    while True:
        number = current_page(page)
        if until is not None and number == until:
            return
        fill_current(page, answers)
        if shoot:
            shoot(page, f"page{number}")
        if page.locator("#next").get_attribute("value") == "submit":
            return
        page.locator("#next").click()
        wait_js(page, f"document.querySelector('section.page:not([hidden])').dataset.page != '{number}'")


def responses() -> list[Response]:
    db.session.remove()
    return list(db.session.scalars(select(Response).order_by(Response.id)))


def wait_until(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def wait_js(page, expression: str, timeout: float = 10.0) -> None:
    """Wait until a JavaScript expression is true in the page (polled: the page's CSP forbids eval)."""
    assert wait_until(lambda: page.evaluate(expression), timeout), f"timed out waiting for {expression}"


def stored_answers(response: Response) -> dict:
    return {name: value for name, value in response.answers.items() if name not in CALCULATED}


# --- the expression engine in the page ---------------------------------------------------------

RUN_VECTORS = """(suite) => suite.vectors.map((v) => {
  let expr;
  try { expr = SurveyExpr.parse(v.expr); } catch (error) { return ['error', error.name]; }
  if ('error' in v) return ['parsed'];
  const answers = Object.assign({}, v.answers);
  Object.keys(v.nodes || {}).forEach((name) => { answers[name] = SurveyExpr.NodeSet(v.nodes[name]); });
  const env = {answers: answers, current: 'current' in v ? v.current : null, position: v.position,
               today: 'today' in v ? v.today : suite.today, row: 'row' in v ? v.row : null};
  const result = expr.evaluate(env);
  if (typeof result !== 'number') return [typeof result, result];
  return ['number', Object.is(result, -0) ? '-0' : String(result)];
})"""


def expected_pair(vector: dict) -> list:
    if "error" in vector:
        return ["error", "ExpressionError"]
    expected = vector["expected"]
    if isinstance(expected, bool):
        return ["boolean", expected]
    if isinstance(expected, str):
        return ["string", expected]
    if isinstance(expected, dict):
        return ["number", expected["number"]]
    return ["number", expected]


def same(actual: list, wanted: list) -> bool:
    if wanted[0] != "number" or actual[0] != "number" or not isinstance(wanted[1], (int, float)):
        return actual == wanted
    number = float(actual[1])
    return number == wanted[1] and math.copysign(1, number) == math.copysign(1, wanted[1])


def test_expression_vectors_in_the_page(page, bundled):
    """Does SurveyExpr, as loaded by the survey page, give every shared vector its expected value?"""
    suite = json.loads((DATA / "expression_vectors.json").read_text(encoding="utf-8"))
    page.goto(SURVEY)
    results = page.evaluate(RUN_VECTORS, suite)
    wrong = [(v["expr"], expected_pair(v), got) for v, got in zip(suite["vectors"], results)
             if not same(got, expected_pair(v))]
    assert len(results) == len(suite["vectors"]) and not wrong


# --- skip logic, filters and validation ----------------------------------------------------------

def test_skip_logic_shows_and_hides_questions(page, bundled, screenshot):
    """Does C4 appear only after a victimisation choice, and the E3 matrix only after E2 = 有?"""
    page.goto(SURVEY)
    screenshot(page, "start")
    fill_pages(page, ANSWERS, until=3, shoot=screenshot)
    assert not visible(page, "#q-c4_reported") and not visible(page, "#q-c4_reason")
    harm = page.locator("#q-c3_harm")
    harm.locator('input[value="7"]').check()
    assert not visible(page, "#q-c4_reported")
    harm.locator('input[value="1"]').check()
    # Ticking a choice clears the exclusive "none of these", and the other way round.
    assert not harm.locator('input[value="7"]').is_checked()
    assert visible(page, "#q-c4_reported")
    harm.locator('input[value="7"]').check()
    assert not harm.locator('input[value="1"]').is_checked() and not visible(page, "#q-c4_reported")
    harm.locator('input[value="2"]').check()
    page.locator('#q-c4_reported input[value="2"]').check()
    assert visible(page, "#q-c4_reason")
    assert visible(page, "#q-c2_factors_other") is False
    page.locator('#q-c2_factors input[value="other"]').check()
    assert visible(page, "#q-c2_factors_other")
    screenshot(page, "victim")
    page.locator('#q-c4_reported input[value="1"]').check()
    assert not visible(page, "#q-c4_reason")

    fill_pages(page, {**ANSWERS, "c4_reported": "1"}, until=5, shoot=screenshot)
    assert not visible(page, "#q-e3_experience")
    page.locator('#q-e2_contact input[value="1"]').check()
    assert visible(page, "#q-e3_experience") and visible(page, "#q-e3_speed")
    screenshot(page, "e3-shown")
    page.locator('#q-e2_contact input[value="2"]').check()
    assert not visible(page, "#q-e3_experience")
    assert page.locator('#q-e3_speed input').first.is_disabled()


def test_cascade_filters_communities_by_street(page, bundled, screenshot):
    """Does choosing a street list only its communities, and clear a community of another street?"""
    page.goto(SURVEY)
    fill_pages(page, ANSWERS, until=1)
    community = page.locator("#q-a4_community")
    page.locator('#q-a4_street input[value="s1"]').check()
    shown = community.locator("label.opt:visible input")
    assert [shown.nth(i).get_attribute("value") for i in range(shown.count())] == ["c101", "c102", "c103"]
    community.locator('input[value="c102"]').check()
    screenshot(page, "s1")
    page.locator('#q-a4_street input[value="s3"]').check()
    assert [shown.nth(i).get_attribute("value") for i in range(shown.count())] == ["c301", "c302"]
    assert not community.locator('input[value="c102"]').is_checked()
    assert community.locator('input[value="c102"]').is_disabled()
    screenshot(page, "s3")


def test_errors_appear_beside_their_questions(page, bundled, screenshot):
    """Do required, constraint and exclusive errors show beside their questions, keeping the answers?"""
    page.goto(SURVEY)
    page.locator("#next").click()
    consent_error = page.locator("#err-consent")
    assert consent_error.is_visible() and "年满16周岁" in consent_error.text_content()
    assert current_page(page) == 0
    screenshot(page, "consent-required")
    fill_pages(page, ANSWERS, until=1)
    fill_current(page, ANSWERS)

    household = page.locator("#i-a6_household")
    household.fill("25")
    household.blur()
    error = page.locator("#err-a6_household")
    assert error.is_visible() and error.text_content() == "家庭人数应在1到20之间"
    assert household.get_attribute("aria-invalid") == "true"
    page.locator("#next").click()
    assert current_page(page) == 1 and household.input_value() == "25"
    assert page.evaluate("document.activeElement.id") == "i-a6_household"
    screenshot(page, "household-25")
    household.fill("3")
    assert not error.is_visible() and household.get_attribute("aria-invalid") is None

    fill_pages(page, ANSWERS, until=3)
    factors = page.locator("#q-c2_factors")
    for code in ("1", "2", "3", "4"):
        factors.locator(f'input[value="{code}"]').check()
    c2_error = page.locator("#err-c2_factors")
    assert c2_error.is_visible() and c2_error.text_content() == "最多只能选3项"
    page.locator("#next").click()
    assert current_page(page) == 3
    assert [factors.locator(f'input[value="{c}"]').is_checked() for c in "1234"] == [True] * 4
    assert "invalid" in factors.get_attribute("class")
    screenshot(page, "c2-four")
    factors.locator('input[value="2"]').uncheck()
    assert not c2_error.is_visible()


def test_reload_restores_the_draft_on_its_page(page, bundled, screenshot):
    """After a reload mid-way, is the resident back on the same page with every answer?"""
    page.goto(SURVEY + "?c=c201")
    fill_pages(page, ANSWERS, until=3)
    page.locator('#q-c1_burglary input[value="2"]').check()
    page.locator('#q-c3_harm input[value="1"]').check()
    assert visible(page, "#q-c4_reported")
    page.reload()
    assert current_page(page) == 3
    assert page.locator('#q-c1_burglary input[value="2"]').is_checked()
    assert visible(page, "#q-c4_reported")
    assert page.locator(".step").text_content() == "4 / 8"
    screenshot(page, "restored")
    page.locator("#back").click()
    page.locator("#back").click()
    assert current_page(page) == 1
    assert page.locator('#q-a4_community input[value="c201"]').is_checked()
    assert page.locator("#i-a6_household").input_value() == "3"


TYPES = """
form_id: types
title: {zh: 题型, en: Types}
allow_multiple: true
study: {organisation: 测试, sampling: convenience}
survey:
  - type: begin_group
    name: p1
    label: {zh: 一, en: One}
    children:
      - {type: decimal, name: height, label: {zh: 身高, en: Height}, required: yes, constraint: ". > 0.5 and . < 2.5"}
      - {type: date, name: moved, label: {zh: 搬来日期, en: Moved in}, required: "${height} > 2"}
      - {type: rank fruit, name: order, label: {zh: 排序, en: Rank}, required: yes}
  - type: begin_group
    name: p2
    label: {zh: 二, en: Two}
    relevant: "${height} > 1"
    children:
      - {type: integer, name: kids, label: {zh: 孩子, en: Kids}, required: yes}
choices:
  fruit:
    - {name: a, label: {zh: 苹果, en: Apple}}
    - {name: b, label: {zh: 香蕉, en: Banana}}
    - {name: c, label: {zh: 樱桃, en: Cherry}}
"""


def test_other_types_in_english(new_context, app, screenshot):
    """Decimal, date, rank, a required expression, a page switched on by an answer, English texts."""
    import_yaml(TYPES)
    page = new_context(service_workers="block").new_page()
    page.goto("/s/types?lang=en")
    assert page.locator("#next").text_content() == "Submit"  # the second page is not relevant yet
    page.locator("#i-height").fill("2.2")
    assert page.locator("#next").text_content() == "Next" and page.locator(".step").text_content() == "1 / 2"
    page.locator('select[name="order.b"]').select_option("1")
    page.locator('select[name="order.a"]').select_option("1")  # a position is given to one choice only
    assert page.locator('select[name="order.b"]').input_value() == ""
    page.locator('select[name="order.b"]').select_option("2")
    page.locator("#next").click()
    assert page.locator("#err-moved").text_content() == "this question is required"
    assert page.locator("#err-order").text_content() == "rank every option exactly once"
    screenshot(page, "errors")
    page.locator('select[name="order.c"]').select_option("3")
    page.locator("#i-moved").fill("2024-02-29")
    page.locator("#next").click()
    page.locator("#i-kids").fill("２")  # full-width digits from a Chinese keyboard
    page.locator("#next").click()
    page.wait_for_url("**/thanks?lang=en")
    assert [r.answers for r in responses()] == [{"height": 2.2, "moved": "2024-02-29", "order": ["a", "b", "c"],
                                                 "kids": 2}]


# --- submitting --------------------------------------------------------------------------------

def test_offline_submission_is_stored_once(new_context, bundled, app, screenshot):
    """Offline at submission, then a lost reply: is the response stored once, as typed?"""
    # Requests are routed below; a service worker would hide them from the route.
    page = new_context(service_workers="block").new_page()
    page.goto(SURVEY + "?c=c201")
    fill_pages(page, ANSWERS, shoot=screenshot)
    page.context.set_offline(True)
    page.locator("#next").click()
    wait_js(page, "document.getElementById('status').textContent.length > 10")
    assert page.locator("#status").text_content() == OFFLINE
    assert page.locator("#retry").is_visible()
    screenshot(page, "offline")
    assert responses() == []

    # Back online, the first attempt reaches the server but its reply is lost on the way back.
    attempts = []

    def lose_first_reply(route):
        attempts.append(route.request.headers.get("idempotency-key"))
        if len(attempts) == 1:
            route.fetch()
            route.abort()
        else:
            route.continue_()

    page.route("**/api/v1/questionnaires/*/responses*", lose_first_reply)
    page.context.set_offline(False)
    page.wait_for_url("**/thanks", timeout=20_000)
    screenshot(page, "thanks")

    stored = responses()
    assert len(stored) == 1 and len(attempts) == 2 and attempts[0] == attempts[1]
    assert stored_answers(stored[0]) == ANSWERS
    assert stored[0].channel == "c201" and stored[0].mode == "self" and stored[0].started_at is not None
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sa_done_community_safety"]["value"] == "1"
    assert page.evaluate("localStorage.getItem('sa_draft:community_safety:self:c201')") is None
    page.goto(SURVEY + "?c=c201")
    assert "已经填写过" in page.content()


def test_server_errors_show_beside_their_question(new_context, bundled, screenshot):
    """When the server refuses the answers, is its message shown beside the question, on its page?"""
    page = new_context(service_workers="block").new_page()
    page.goto(SURVEY)
    fill_pages(page, ANSWERS)
    refusal = {"errors": [{"field": "a6_household", "code": "constraint", "message": "服务器：人数不对"}]}
    page.route("**/api/v1/questionnaires/*/responses*",
               lambda route: route.fulfill(status=422, json=refusal))
    page.locator("#next").click()
    error = page.locator("#err-a6_household")
    error.wait_for()
    assert current_page(page) == 1 and error.text_content() == "服务器：人数不对"
    assert page.locator("#status").text_content() == "请检查标红的题目。"
    screenshot(page, "refused")
    page.unroute("**/api/v1/questionnaires/*/responses*")
    page.locator("#i-a6_household").fill("4")
    assert not error.is_visible()
    fill_pages(page, ANSWERS | {"a6_household": 4})
    page.locator("#next").click()
    page.wait_for_url("**/thanks")
    assert [r.answers["a6_household"] for r in responses()] == [4]


# --- interviews --------------------------------------------------------------------------------

def field_worker():
    return make_field_worker("worker", "correct horse")


def sign_in(page) -> None:
    page.goto("/admin/login")
    page.locator("input[name=username]").fill("worker")
    page.locator("input[name=password]").fill("correct horse")
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/admin/")


def outbox(page) -> list:
    """The signed-in field worker's outbox (one per worker on a shared device)."""
    worker = page.locator("#survey").get_attribute("data-field-worker")
    return page.evaluate(f"JSON.parse(localStorage.getItem('sa_outbox:community_safety:{worker}'))")


def test_interviews_taken_offline_upload_once_each(page, bundled, app, screenshot):
    """Three interviews with no network (page reloaded offline too), then online: three stored, once each?"""
    worker_id = field_worker().id
    sign_in(page)
    page.goto(SURVEY + "/interview")
    assert page.locator("#survey").get_attribute("data-mode") == "interview"
    # The service worker keeps the page, so that it opens again with no network.
    cached = "async () => !!(await caches.match(location.href))"
    assert wait_until(lambda: page.evaluate(cached), 10)

    page.context.set_offline(True)
    page.reload()
    assert page.locator("#survey").get_attribute("data-mode") == "interview"
    households = [2, 5, 7]
    for number, size in enumerate(households, start=1):
        fill_pages(page, ANSWERS | {"a6_household": size}, shoot=screenshot if number == 1 else None)
        page.locator("#next").click()
        wait_js(page, f"document.getElementById('status').textContent.indexOf('已保存第{number}份') === 0")
        assert current_page(page) == 0 and not page.locator("#q-consent input").is_checked()
    status = page.locator("#status").text_content()
    assert status.startswith("已保存第3份，待上传3份")
    screenshot(page, "three-waiting")
    waiting = outbox(page)
    assert len({entry["key"] for entry in waiting}) == 3
    assert responses() == []

    page.context.set_offline(False)
    wait_js(page, "document.getElementById('status').textContent.indexOf('全部已上传') > 0", 20)
    screenshot(page, "uploaded")
    stored = responses()
    assert sorted(r.answers["a6_household"] for r in stored) == households
    assert {r.submission_key for r in stored} == {entry["key"] for entry in waiting}
    assert [stored_answers(r) for r in stored] == [ANSWERS | {"a6_household": n} for n in households]
    assert outbox(page) == []
    # Recorded as interviews by this field worker (needs the API to honour "mode": "interview").
    assert [(r.mode, r.field_worker_id) for r in stored] == [("interview", worker_id)] * 3


def test_refused_interview_stays_in_the_outbox(new_context, bundled, screenshot):
    """Is an interview the server refuses kept and reported, and sent again from the upload button?"""
    field_worker()
    page = new_context(service_workers="block").new_page()  # so that the route sees the upload
    sign_in(page)
    page.goto(SURVEY + "/interview")
    refusal = {"errors": [{"field": "a6_household", "code": "constraint", "message": "人数不对"}]}
    page.route("**/api/v1/questionnaires/*/responses*", lambda route: route.fulfill(status=422, json=refusal))
    fill_pages(page, ANSWERS)
    page.locator("#next").click()
    wait_js(page, "document.getElementById('status').textContent.indexOf('退回') > 0")
    assert page.locator("#status").text_content() == "已保存第1份，待上传1份；其中1份被退回：人数不对"
    assert [entry["error"] for entry in outbox(page)] == ["人数不对"] and responses() == []
    screenshot(page, "refused")
    page.unroute("**/api/v1/questionnaires/*/responses*")
    page.locator("#retry").click()
    wait_js(page, "document.getElementById('status').textContent.indexOf('全部已上传') > 0")
    assert outbox(page) == [] and [stored_answers(r) for r in responses()] == [ANSWERS]


def test_shared_tablet_keeps_each_workers_interviews_apart(new_context, bundled, app, screenshot):
    """On a shared tablet, are one worker's queued interviews uploaded only under that worker?"""
    first_id = field_worker().id
    make_field_worker("second", "other horse")
    page = new_context(service_workers="block").new_page()
    sign_in(page)
    page.goto(SURVEY + "/interview")
    page.context.set_offline(True)
    fill_pages(page, ANSWERS)
    page.locator("#next").click()
    wait_js(page, "document.getElementById('status').textContent.indexOf('已保存第1份') === 0")
    page.route("**/api/v1/**", lambda route: route.abort())  # keep it queued while the first worker leaves
    page.context.set_offline(False)
    page.goto("/admin/logout")
    page.unroute("**/api/v1/**")
    page.goto("/admin/login")
    page.locator("input[name=username]").fill("second")
    page.locator("input[name=password]").fill("other horse")
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/admin/")
    page.goto(SURVEY + "/interview")
    page.wait_for_timeout(500)
    assert responses() == [] and outbox(page) in (None, [])
    screenshot(page, "second-worker")
    page.goto("/admin/logout")
    sign_in(page)
    page.goto(SURVEY + "/interview")
    wait_js(page, "document.getElementById('status').textContent.indexOf('全部已上传') > 0", 20)
    assert [(r.mode, r.field_worker_id) for r in responses()] == [("interview", first_id)]
