"""Submitting responses through the JSON API."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from surveyapp import catalogue
from surveyapp.extensions import db
from surveyapp.models import Response
from tests.builders import TINY_VALID


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Response))


def post(client, answers, key=None, form="tiny", **extra):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/questionnaires/{form}/responses", json={"answers": answers, **extra},
                       headers=headers)


def test_valid_submission_is_stored(client, tiny):
    """Is a valid submission stored whole, with its version, channel and calculation?"""
    resp = post(client, TINY_VALID, channel="c1", started_at="2026-11-30T08:00:00+08:00")
    assert resp.status_code == 201
    stored = db.session.get(Response, resp.json["id"])
    assert stored.answers == {**TINY_VALID, "victim": 1}
    assert stored.channel == "c1" and stored.mode == "self"
    assert stored.version_id is not None and stored.started_at is not None


def test_invalid_submission_stores_nothing(client, tiny):
    """Does an invalid submission give 422 with each error beside its field, and store nothing?"""
    resp = post(client, {**TINY_VALID, "age": 12, "community": "c2", "nope": 1})
    assert resp.status_code == 422
    fields = {e["field"]: e["message"] for e in resp.json["errors"]}
    assert set(fields) == {"age", "community", "nope"}
    assert fields["age"] == "年龄应在16到120之间"
    assert count() == 0


def test_errors_in_english(client, tiny):
    """Are error messages in English when the client asks for English?"""
    resp = client.post("/api/v1/questionnaires/tiny/responses", json={"answers": {"age": "x"}},
                       headers={"Accept-Language": "en-GB,en;q=0.9"})
    messages = {e["field"]: e["message"] for e in resp.json["errors"]}
    assert messages["age"] == "enter a whole number"
    assert messages["consent"] == "this question is required"


def test_idempotency_key_replay(client, tiny):
    """Does the same Idempotency-Key return the same id and store nothing new?"""
    first = post(client, TINY_VALID, key="k-1")
    again = post(client, TINY_VALID, key="k-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert count() == 1


def test_idempotency_key_with_other_answers(client, tiny):
    """Is a reused key with different answers refused without storing?"""
    post(client, TINY_VALID, key="k-2")
    resp = post(client, {**TINY_VALID, "age": 40}, key="k-2")
    assert resp.status_code == 422 and resp.json["error"]["code"] == "key_reused"
    assert count() == 1


def test_unknown_questionnaire(client, tiny):
    """Does an unknown questionnaire give a JSON 404?"""
    resp = post(client, TINY_VALID, form="nope")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"


def test_closed_questionnaire(client, tiny):
    """Does a closed questionnaire give 409 and store nothing?"""
    catalogue.set_status("tiny", "closed")
    resp = post(client, TINY_VALID)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "closed"
    assert count() == 0


def test_closed_questionnaire_still_confirms_a_retry(client, tiny):
    """Does a retry of a stored submission still get its id after closing?"""
    first = post(client, TINY_VALID, key="k-3")
    catalogue.set_status("tiny", "closed")
    assert post(client, TINY_VALID, key="k-3").json["id"] == first.json["id"]


def test_malformed_json(client, tiny):
    """Does malformed JSON give a JSON 400, never a 500?"""
    resp = client.post("/api/v1/questionnaires/tiny/responses", data=b"{not json",
                       content_type="application/json")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "bad_json"


def test_body_shapes(client, tiny):
    """Are bodies that are not a submission object refused with 400?"""
    for body in ([1, 2], {"answer": {}}, {"answers": {}, "extra": 1}, {"answers": {}, "channel": 5},
                 {"answers": {}, "started_at": "yesterday"}, "text"):
        resp = client.post("/api/v1/questionnaires/tiny/responses", data=json.dumps(body),
                           content_type="application/json")
        assert resp.status_code == 400, body
        assert resp.json["error"]["code"] == "bad_body"


def test_answers_not_an_object(client, tiny):
    """Is a list given as answers a 422 naming the answers field?"""
    resp = client.post("/api/v1/questionnaires/tiny/responses", json={"answers": [1]})
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "answers"


def test_body_too_large(app, client, tiny):
    """Is a body over the size limit refused with a JSON 413?"""
    big = {"answers": {**TINY_VALID, "comment": "很" * (app.config["MAX_CONTENT_LENGTH"] // 2)}}
    resp = client.post("/api/v1/questionnaires/tiny/responses", data=json.dumps(body := big),
                       content_type="application/json")
    assert body and resp.status_code == 413 and resp.json["error"]["code"] == "too_large"
    assert count() == 0


def test_unknown_channel(client, tiny):
    """Is a channel the questionnaire does not have an error beside 'channel'?"""
    resp = post(client, TINY_VALID, channel="zzz")
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "channel"


def test_wrong_method_and_unknown_path(client, tiny):
    """Do a wrong method and an unknown API path answer in JSON?"""
    assert client.get("/api/v1/questionnaires/tiny/responses").status_code == 405
    assert client.get("/api/v1/questionnaires/tiny/responses").is_json
    assert client.get("/api/v1/nothing").json["error"]["code"] == "not_found"


def test_no_ip_or_user_agent_stored(client, tiny):
    """Is nothing about the client (address, browser) stored with a response?"""
    resp = client.post("/api/v1/questionnaires/tiny/responses", json={"answers": TINY_VALID},
                       headers={"User-Agent": "Mozilla/5.0 UNIQUE-AGENT", "X-Forwarded-For": "203.0.113.9"},
                       environ_base={"REMOTE_ADDR": "198.51.100.7"})
    row = db.session.get(Response, resp.json["id"])
    dump = json.dumps({c.name: str(getattr(row, c.name)) for c in Response.__table__.columns})
    assert "198.51.100.7" not in dump and "203.0.113.9" not in dump and "UNIQUE-AGENT" not in dump
