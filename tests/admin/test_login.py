"""The researchers' sign-in and questionnaire list."""

from __future__ import annotations

import re

from tests.builders import TINY_VALID, make_researcher


def login(client, username="alice", password="correct horse"):
    return client.post("/admin/login", data={"username": username, "password": password})


def test_pages_need_login(client):
    """Are the researcher pages closed to visitors who have not signed in?"""
    resp = client.get("/admin/")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]


def test_wrong_password(client):
    """Does a wrong password keep the visitor out with a message?"""
    make_researcher()
    resp = login(client, password="wrong")
    assert resp.status_code == 200 and "用户名或密码错误" in resp.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_login_shows_questionnaires(client, tiny):
    """After signing in, does the list show each questionnaire with its response count?"""
    make_researcher()
    client.post("/api/v1/questionnaires/tiny/responses", json={"answers": TINY_VALID})
    assert login(client).status_code == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert "小问卷" in page and re.search(r"<td>1</td>", page)
    client.post("/admin/logout")
    assert client.get("/admin/").status_code == 302


def test_login_form_needs_csrf_token(app, client):
    """Is a sign-in post without its CSRF token refused?"""
    app.config["WTF_CSRF_ENABLED"] = True
    make_researcher()
    assert login(client).status_code == 400
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/admin/login", data={"username": "alice", "password": "correct horse", "csrf_token": token})
    assert resp.status_code == 302


def test_open_redirect_refused(client):
    """Does sign-in refuse to redirect to another site?"""
    make_researcher()
    resp = client.post("/admin/login?next=https://evil.example/", data={"username": "alice",
                                                                        "password": "correct horse"})
    assert resp.headers["Location"].endswith("/admin/")
