"""Reading questionnaires and the OpenAPI document."""

from __future__ import annotations

from tests.conftest import DATA
from tests.builders import import_yaml


def test_list(client, tiny):
    """Does the list give id, current version, title and status?"""
    assert client.get("/api/v1/questionnaires").json == [
        {"id": "tiny", "title": "小问卷", "status": "open", "version": 1,
         "checksum": client.get("/api/v1/questionnaires/tiny").json["checksum"]}]


def test_definition(client, tiny):
    """Is the current version's definition served as JSON?"""
    body = client.get("/api/v1/questionnaires/tiny").json
    assert body["definition"]["form_id"] == "tiny"
    names = [item["name"] for item in body["definition"]["items"]]
    assert names == ["consent", "sec_a", "victim", "comment"]


def test_definition_follows_new_version(client, tiny):
    """After a changed import, is the new version the one served?"""
    text = (DATA / "tiny.yaml").read_text(encoding="utf-8").replace("title: 小问卷", "title: 小问卷（修订）")
    import_yaml(text, "tiny.yaml")
    body = client.get("/api/v1/questionnaires/tiny").json
    assert body["version"] == 2 and body["title"] == "小问卷（修订）"
    old = client.get("/api/v1/questionnaires/tiny/versions/1").json
    assert old["version"] == 1 and old["definition"]["title"] == {"zh": "小问卷"}
    assert client.get("/api/v1/questionnaires/tiny/versions/3").status_code == 404


def test_unknown(client, tiny):
    """Is an unknown questionnaire a JSON 404?"""
    resp = client.get("/api/v1/questionnaires/nope")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"


def test_openapi_lists_every_route(app, client):
    """Does the OpenAPI document describe every /api/v1 route the app serves?"""
    doc = client.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    served = {rule.rule.replace("<form_id>", "{form_id}").replace("<int:number>", "{number}")
              for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1")}
    assert served == set(doc["paths"])
