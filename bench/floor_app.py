"""The floor of the stack: Flask + SQLAlchemy 2 storing a submission with no validation.

``bench/intake.py`` runs this under gunicorn with the same settings and the
same load as SurveyApp. Whatever this app costs per request (HTTP parsing,
Flask routing, JSON decoding, one INSERT and one COMMIT through SQLAlchemy) is
the least any Flask + SQLAlchemy intake can cost on this machine, so
``SurveyApp / floor`` says how much of the budget SurveyApp's own work takes.

Configuration: ``FLOOR_DATABASE_URL`` (``sqlite:///path`` or
``postgresql://user@host/db``). The table is created by ``create_schema``
before gunicorn starts, so that workers never race to create it.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import JSON, DateTime, Engine, String, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

TABLE = "floor_response"


class Base(DeclarativeBase):
    """Declarative base of the floor's single table."""


class FloorResponse(Base):
    """One stored submission: the body's answers as they came."""

    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    # JSONB on PostgreSQL, as SurveyApp stores answers.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    submission_key: Mapped[str | None] = mapped_column(String(100))


def sqlalchemy_url(url: str) -> str:
    """Point PostgreSQL URLs at psycopg 3, as SurveyApp does."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str) -> Engine:
    """An engine with SurveyApp's SQLite pragmas (and nothing else: no pre-ping)."""
    engine = create_engine(sqlalchemy_url(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    """The same pragmas as surveyapp/database.py, so both apps write alike."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_schema(url: str) -> None:
    """Create the floor table (called once by the benchmark, before gunicorn starts)."""
    engine = make_engine(url)
    try:
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()


def create_app(url: str | None = None) -> Flask:
    """The floor app; ``url`` defaults to ``FLOOR_DATABASE_URL``."""
    app = Flask(__name__)
    engine = make_engine(url or os.environ["FLOOR_DATABASE_URL"])
    app.extensions["floor_engine"] = engine  # for bench/profile_submit.py

    @app.get("/health")
    def health():
        return jsonify({"ok": True})

    @app.post("/api/v1/questionnaires/<form_id>/responses")
    def post_response(form_id: str):
        # Parse the same JSON body as SurveyApp; the only check is that it is an object.
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify({"error": "bad_json"}), 400
        row = FloorResponse(questionnaire_id=form_id, answers=body.get("answers"),
                            submitted_at=dt.datetime.now(dt.timezone.utc),
                            submission_key=request.headers.get("Idempotency-Key"))
        # expire_on_commit=False: the id is known after the INSERT, so reading
        # it back costs no extra SELECT. One INSERT + COMMIT per request.
        with Session(engine, expire_on_commit=False) as session:
            session.add(row)
            session.commit()
        return jsonify({"id": row.id}), 201

    return app


if os.environ.get("FLOOR_DATABASE_URL"):
    # gunicorn imports ``floor_app:app``; importing the module for
    # create_schema (without the variable) builds no app.
    app = create_app()
