"""Browser fixtures: the app served on a real port, and Chromium driven by Playwright.

Browser tests run on SQLite only: the live server serves ``sqlite_app``, a
mirror of tests/conftest.py's ``app`` on a SQLite file, and ``app`` is
redefined as the same app, so they are not parametrised over PostgreSQL.
Chromium is the Debian package at /usr/bin/chromium (never ``playwright
install``). Tests save screenshots of the pages they visit in
test-artifacts/screenshots/, which is kept after the run.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import make_server

from surveyapp import create_app
from surveyapp.database import MIGRATIONS
from surveyapp.extensions import db

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
TABLES = ("response", "api_token", "questionnaire_version", "questionnaire", "researcher")


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory) -> str:
    """A migrated SQLite file for the browser tests."""
    url = "sqlite:///" + str(tmp_path_factory.mktemp("browser-db") / "surveyapp.db")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    return url


@pytest.fixture
def sqlite_app(sqlite_database, tmp_path):
    """As tests/conftest.py's ``app``, on SQLite only, with empty tables."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sqlite_database, "SECRET_KEY": "test",
                      "WTF_CSRF_ENABLED": False})
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        db.session.execute(text("UPDATE questionnaire SET current_version_id = NULL"))
        for table in TABLES:
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(sqlite_app):
    """Fixtures of tests/conftest.py that use ``app`` get the SQLite one here."""
    return sqlite_app


@pytest.fixture
def live_server(sqlite_app):
    """The app served by werkzeug on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, sqlite_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture(scope="session")
def playwright_session():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser, live_server):
    """Makes phone-sized browser contexts (390×844, touch, zh-CN) on the live server.

    They are closed after the test, which then fails if a page had an uncaught JavaScript error.
    """
    made, page_errors = [], []

    def make(**options):
        settings = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                    "locale": "zh-CN", "base_url": live_server, **options}
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        context.on("page", lambda page: page.on("pageerror", lambda error: page_errors.append(str(error))))
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
    assert not page_errors, f"JavaScript errors in the page: {page_errors}"


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def screenshot(request):
    """screenshot(page, label) saves a full-page PNG named after the test and the label."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    count = [0]

    def take(page, label: str) -> Path:
        count[0] += 1
        path = SCREENSHOTS / f"{test}-{count[0]:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
