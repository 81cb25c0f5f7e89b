"""Fixtures: the app on a real SQLite file, and on PostgreSQL when configured.

Set SURVEYAPP_TEST_DATABASE_URL to a PostgreSQL database to run every
database test on both backends (``.ci/run`` does). The schema is built by the
real Alembic migrations once per backend; each test starts with empty tables.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from surveyapp import create_app
from surveyapp.config import database_url
from surveyapp.database import MIGRATIONS
from surveyapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("SURVEYAPP_TEST_DATABASE_URL") else [])
TABLES = ("response", "wave", "admin_input", "api_token", "questionnaire_version", "questionnaire", "researcher")


def _reset_postgres(url: str) -> None:
    """Start from an empty schema so that the migrations run from scratch."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database(request, tmp_path_factory) -> str:
    """A migrated database URL: a SQLite file, or the PostgreSQL test database."""
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "surveyapp.db")
    else:
        url = database_url(os.environ["SURVEYAPP_TEST_DATABASE_URL"], "")
        _reset_postgres(url)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    return url


def _empty_tables() -> None:
    db.session.execute(text("UPDATE questionnaire SET current_version_id = NULL"))
    for table in TABLES:
        db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()


@pytest.fixture
def app(database, tmp_path):
    """The app on the migrated database, with empty tables."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "test",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        _empty_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def tiny(app):
    """tests/data/tiny.yaml imported as version 1."""
    from tests.builders import import_file
    return import_file(DATA / "tiny.yaml")
