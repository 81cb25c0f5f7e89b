"""The survey pages without JavaScript: the server walks the resident through."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from surveyapp import catalogue
from surveyapp.extensions import db
from surveyapp.models import Response
from tests.builders import import_yaml, make_field_worker
from tests.conftest import DATA, ROOT
from tests.survey.forms import form_data, read_form

ANSWERS = json.loads((DATA / "community_safety_answers.json").read_text(encoding="utf-8"))
URL = "/s/community_safety"


def stored() -> list[Response]:
    return list(db.session.scalars(select(Response)))


def bundled():
    return catalogue.import_file(ROOT / "questionnaires" / "community_safety.yaml")


def walk(client, answers: dict, url: str = URL + "?c=c101", limit: int = 30):
    """Answer page after page like a browser without JavaScript; returns the last response."""
    resp = client.get(url)
    for _ in range(limit):
        page = read_form(resp.get_data(as_text=True))
        last = 'value="submit"' in resp.get_data(as_text=True)
        resp = client.post(page.action, data=MultiDict(form_data(page, answers, "submit" if last else "next")))
        if resp.status_code != 200:
            return resp
    raise AssertionError("the walk did not finish")


def test_first_page(client, app):
    """Does the first page show the title, the community and the consent box?"""
    bundled()
    html = client.get(URL + "?c=c101").get_data(as_text=True)
    assert "社区治安与警务满意度调查" in html and 'name="consent"' in html
    assert 'class="channel"' in html


def test_consent_first(client, app):
    """Does the survey refuse to start until consent is given, with the error beside it?"""
    bundled()
    page = read_form(client.get(URL).get_data(as_text=True))
    resp = client.post(URL, data=MultiDict(form_data(page, {})))
    again = read_form(resp.get_data(as_text=True))
    assert "consent" in again.errors and 'value="0"' in resp.get_data(as_text=True)


def test_whole_walk_stores_what_was_given(client, app):
    """Does a walk through every page store exactly the given answers, channel and time?"""
    bundled()
    resp = walk(client, ANSWERS)
    assert resp.status_code == 303 and resp.headers["Location"].startswith(URL + "/thanks")
    (response,) = stored()
    calculated = {"c3_victim", "f1_protected"}
    assert {k: v for k, v in response.answers.items() if k not in calculated} == ANSWERS
    assert response.channel == "c101" and response.mode == "self" and response.started_at is not None
    assert "提交成功" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_constraint_error_keeps_answers(client, app):
    """Does a broken constraint come back beside its question with every answer still filled in?"""
    bundled()
    answers = {**ANSWERS, "a6_household": 25}
    resp = client.get(URL)
    for _ in range(10):
        page = read_form(resp.get_data(as_text=True))
        resp = client.post(URL, data=MultiDict(form_data(page, answers)))
        html = resp.get_data(as_text=True)
        if "a6_household" in read_form(html).errors:
            break
    assert 'name="a6_household" type="text" inputmode="numeric" autocomplete="off" value="25"' in html
    assert 'value="{}" checked'.format(ANSWERS["a1_sex"]) in html
    assert not stored()


def test_skip_logic_without_js(client, app):
    """Are victim-only questions skipped for a non-victim and asked of a victim?"""
    bundled()
    walk(client, {**ANSWERS, "c3_harm": ["7"], "c4_reported": None, "c4_reasons": None})
    assert stored()[0].answers.get("c4_reported") is None


def test_one_response_per_device(client, app):
    """After submitting, does the same device get the 'already answered' page?"""
    bundled()
    walk(client, ANSWERS)
    assert "已经填写过" in client.get(URL).get_data(as_text=True)


def test_closed_and_not_yet_open(client, app):
    """Do a closed and a not-yet-open questionnaire show a clear page?"""
    bundled()
    catalogue.set_status("community_safety", "closed")
    assert "问卷已结束" in client.get(URL).get_data(as_text=True)
    catalogue.set_status("community_safety", "open")
    from surveyapp.models import Questionnaire
    import datetime as dt
    q = db.session.scalar(select(Questionnaire))
    q.opens_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    db.session.commit()
    assert "问卷尚未开放" in client.get(URL).get_data(as_text=True)


def test_english_when_asked(client, app):
    """Is the page in English when the browser asks for it and the questionnaire has English?"""
    bundled()
    html = client.get(URL, headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Next" in html


def test_labels_are_inert(client, app):
    """Is HTML or script in a title, label, hint or choice shown as text, never run?"""
    import_yaml("""form_id: xss
title: "<script>alert('t')</script>调查"
survey:
  - {type: select_one yn, name: q, label: "**粗体** <img src=x onerror=alert(1)>", hint: "<script>alert(2)</script>"}
choices:
  yn:
    - {name: "1", label: "<b onclick=alert(3)>是</b>"}
""", "xss.yaml")
    html = client.get("/s/xss").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b onclick" not in html
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;调查" in html
    assert "<strong>粗体</strong>" in html
    policy = client.get("/s/xss").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_submission_rate_limit(client, app):
    """Are submissions beyond the limit refused with a friendly page, and page steps not counted?"""
    bundled()
    app.config["RATELIMIT_ENABLED"] = True
    from surveyapp.extensions import limiter
    limiter.enabled = True
    limiter.reset()
    try:
        app.config["SUBMIT_RATE_LIMIT"] = "1 per minute"
        for _ in range(3):
            client.post(URL, data={"_action": "next", "_page": "0"})
        client.post(URL, data={"_action": "submit", "_page": "7"})
        resp = client.post(URL, data={"_action": "submit", "_page": "7"})
        assert resp.status_code == 429 and "稍等" in resp.get_data(as_text=True)
    finally:
        limiter.enabled = False


def test_interview_needs_login(client, app):
    """Is interviewer mode closed to visitors who have not signed in?"""
    bundled()
    assert client.get(URL + "/interview").status_code == 302


def test_service_worker_scope(client):
    """Is the service worker served with permission to control every survey?"""
    resp = client.get("/s/sw.js", headers={"Accept-Encoding": "gzip, br, zstd"})
    assert resp.status_code == 200 and resp.headers["Service-Worker-Allowed"] == "/s/"
    assert resp.mimetype == "text/javascript"


def test_unknown_questionnaire_page(client, app):
    """Is an unknown questionnaire a plain 404 page?"""
    assert client.get("/s/nope").status_code == 404


def test_assets_are_compressed_and_versioned(client, app):
    """Are the page's scripts served gzipped, with a content hash in their URLs?"""
    bundled()
    html = client.get(URL).get_data(as_text=True)
    import re
    urls = re.findall(r'src="(/static/survey/[^"]+)"', html)
    assert len(urls) == 2 and all("?v=" in url for url in urls)
    resp = client.get(urls[1].replace("&amp;", "&"), headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip" and int(resp.headers["Content-Length"]) < 12000


def test_count(client, app):
    """Does nothing get stored while only moving between pages?"""
    bundled()
    page = read_form(client.get(URL).get_data(as_text=True))
    client.post(URL, data=MultiDict(form_data(page, ANSWERS)))
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_interview_without_js_records_field_worker(client, app):
    """Does a signed-in field worker's interview store mode 'interview' and who took it, twice over?"""
    bundled()
    worker = make_field_worker("grid1", "pw-grid-1")
    client.post("/admin/login", data={"username": "grid1", "password": "pw-grid-1"})
    for _ in range(2):
        resp = walk(client, ANSWERS, url=URL + "/interview")
        assert resp.status_code == 303
    rows = stored()
    assert len(rows) == 2 and {(r.mode, r.field_worker_id) for r in rows} == {("interview", worker.id)}


def test_field_worker_cannot_export(client, app):
    """Is a field worker refused the response export?"""
    bundled()
    make_field_worker("grid2", "pw-grid-2")
    client.post("/admin/login", data={"username": "grid2", "password": "pw-grid-2"})
    resp = client.get("/api/v1/questionnaires/community_safety/responses.csv")
    assert resp.status_code == 403


def test_page_form_needs_csrf_token(client, app):
    """Is a page post without the form's CSRF token refused, and accepted with it?"""
    bundled()
    app.config["WTF_CSRF_ENABLED"] = True
    html = client.get(URL).get_data(as_text=True)
    page = read_form(html)
    without = [(k, v) for k, v in form_data(page, ANSWERS) if k != "csrf_token"]
    assert client.post(URL, data=MultiDict(without)).status_code == 400
    assert client.post(URL, data=MultiDict(form_data(page, ANSWERS))).status_code == 200


def test_shared_tablet_questionnaire_takes_many(client, app):
    """With allow_multiple, does the same device get a fresh survey after submitting?"""
    text = (DATA / "tiny.yaml").read_text(encoding="utf-8").replace("form_id: tiny", "form_id: tiny\nallow_multiple: yes")
    import_yaml(text, "tiny.yaml")
    answers = {"consent": True, "age": 30, "street": "s1", "community": "c1", "harm": ["theft"], "reported": "1"}
    for _ in range(2):
        assert walk(client, answers, url="/s/tiny").status_code == 303
    assert len(stored()) == 2 and "已经填写过" not in client.get("/s/tiny").get_data(as_text=True)


def test_every_bundled_questionnaire_can_be_answered_page_by_page(client, app):
    """Can a resident (or a unit, or an officer) answer each bundled questionnaire without JavaScript?"""
    from surveyapp import responses, simulate

    for form_id in ("police_staff", "unit_security"):
        catalogue.import_file(ROOT / "questionnaires" / f"{form_id}.yaml")
        target = responses.find_target(form_id)
        compiled = responses.compiled_version(target.version_id, target.checksum)
        (one,) = simulate.simulate(compiled, 1, seed=5)
        resp = walk(client, one.answers, url=f"/s/{form_id}?c={one.channel}", limit=40)
        assert resp.status_code == 303, form_id
        stored_answers = db.session.scalar(select(Response.answers).where(Response.channel == one.channel)
                                           .order_by(Response.id.desc()))
        calculated = {q.name for q in compiled.questionnaire.questions() if q.type == "calculate"}
        assert {k: v for k, v in stored_answers.items() if k not in calculated} == one.answers, form_id
