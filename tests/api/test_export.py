"""The CSV export, its codebook, and who may read them."""

from __future__ import annotations

import csv
import io

from tests.conftest import DATA
from tests.builders import TINY_VALID, import_yaml, make_researcher, make_token

URL = "/api/v1/questionnaires/tiny/responses.csv"


def submit(client, answers, channel=None):
    body = {"answers": answers, **({"channel": channel} if channel else {})}
    assert client.post("/api/v1/questionnaires/tiny/responses", json=body).status_code == 201


def read_csv(resp) -> list[dict]:
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_export_needs_login(client, tiny):
    """Is the export refused without a login or token?"""
    resp = client.get(URL)
    assert resp.status_code == 401 and resp.json["error"]["code"] == "login_required"
    assert client.get(URL, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_export_with_token(client, tiny):
    """Does the export give one row per response, multi-selects as 0/1 columns?"""
    submit(client, TINY_VALID, channel="c1")
    submit(client, {**TINY_VALID, "harm": ["none"], "reported": None, "comment": "夜里路灯太暗"})
    resp = client.get(URL, headers={"Authorization": f"Bearer {make_token()}"})
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = read_csv(resp)
    assert len(rows) == 2
    assert rows[0]["harm/theft"] == "1" and rows[0]["harm/none"] == "0" and rows[0]["channel"] == "c1"
    assert rows[1]["harm/none"] == "1" and rows[1]["reported"] == "" and rows[1]["comment"] == "夜里路灯太暗"
    assert rows[0]["victim"] == "1" and rows[1]["victim"] == "0"
    assert "consent" in rows[0] and "version" in rows[0]


def test_export_with_login(client, tiny):
    """Can a logged-in researcher download the export and codebook?"""
    make_researcher("bob", "pw-bob-123")
    client.post("/admin/login", data={"username": "bob", "password": "pw-bob-123"})
    assert client.get(URL).status_code == 200
    book = client.get("/api/v1/questionnaires/tiny/codebook.csv")
    rows = read_csv(book)
    harm = next(r for r in rows if r["column"] == "harm/theft")
    assert harm["label"] == "受害: 盗窃"
    street = next(r for r in rows if r["column"] == "street")
    assert street["values"] == "s1=东街道; s2=西街道"


def test_export_spans_versions(client, tiny):
    """Does the export keep old versions' responses and add new questions as empty?"""
    submit(client, TINY_VALID)
    text = (DATA / "tiny.yaml").read_text(encoding="utf-8")
    text = text.replace("  - {type: text, name: comment", "  - {type: integer, name: household, label: 人口}\n  - {type: text, name: comment")
    assert import_yaml(text, "tiny.yaml").version == 2
    submit(client, {**TINY_VALID, "household": 3})
    rows = read_csv(client.get(URL, headers={"Authorization": f"Bearer {make_token()}"}))
    assert [r["version"] for r in rows] == ["1", "2"]
    assert [r["household"] for r in rows] == ["", "3"]


def test_export_unknown_questionnaire(client, tiny):
    """Is exporting an unknown questionnaire a 404?"""
    token = make_token()
    resp = client.get("/api/v1/questionnaires/nope/responses.csv", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 404
