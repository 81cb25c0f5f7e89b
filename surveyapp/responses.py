"""Storing responses: the one path every submission takes (API and survey pages).

A submission is validated against the compiled current version and stored as
one row in one transaction: all of it or nothing. A submission key makes a
retried submission return the first one's id instead of storing it twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from surveyapp.extensions import db
from surveyapp.models import Questionnaire, QuestionnaireVersion, Response
from surveyapp.models.base import utcnow
from surveyapp.models.questionnaire import availability
from surveyapp.questionnaire.compiled import Compiled, compile_questionnaire
from surveyapp.questionnaire.schema import from_definition
from surveyapp.questionnaire.validate import FieldError, validate

MAX_KEY_LENGTH = 100


class QuestionnaireNotFound(LookupError):
    """No questionnaire has that form_id."""


class QuestionnaireClosed(Exception):
    """The questionnaire takes no responses now; ``state`` is 'closed' or 'not_yet_open'."""

    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


class SubmissionRejected(Exception):
    """The answers are invalid; ``errors`` says why, question by question."""

    def __init__(self, errors: list[FieldError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


class KeyReused(Exception):
    """A submission key came back with different answers."""


@dataclass(frozen=True)
class Submitted:
    """The stored response's id; ``created`` is False for a replayed key."""

    id: int
    created: bool


@dataclass(frozen=True)
class Target:
    """What a submission needs to know about its questionnaire (one small query)."""

    questionnaire_id: int
    status: str
    version_id: int
    checksum: str
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None

    @property
    def state(self) -> str:
        """'open', 'closed' or 'not_yet_open' right now."""
        return availability(self.status, self.opens_at, self.closes_at)


_compiled: dict[str, Compiled] = {}
_compiled_lock = threading.Lock()


def compiled_version(version_id: int, checksum: str) -> Compiled:
    """The compiled form of a version, parsed once per process and content checksum."""
    compiled = _compiled.get(checksum)
    if compiled is None:
        definition = db.session.scalar(
            select(QuestionnaireVersion.definition).where(QuestionnaireVersion.id == version_id))
        compiled = compile_questionnaire(from_definition(definition))
        with _compiled_lock:
            _compiled[checksum] = compiled
    return compiled


TARGET_SECONDS = 1.0
"""How long a process reuses what it read about a questionnaire (status, current version).

Every submission needs it; re-reading it at most once a second saves a query
per response. A change made by another process (closing, a new version) is
seen within this time; changes made through ``catalogue`` in this process at once.
"""


def find_target(form_id: str) -> Target:
    """The questionnaire's id, status and current version (briefly cached), or QuestionnaireNotFound."""
    cache = current_app.extensions.setdefault("surveyapp.targets", {})
    hit = cache.get(form_id)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    target = _read_target(form_id)
    cache[form_id] = (time.monotonic() + TARGET_SECONDS, target)
    return target


def forget_target(form_id: str) -> None:
    """Drop the cached target of ``form_id`` after changing it."""
    current_app.extensions.get("surveyapp.targets", {}).pop(form_id, None)


def _read_target(form_id: str) -> Target:
    row = db.session.execute(
        select(Questionnaire.id, Questionnaire.status, Questionnaire.current_version_id,
               QuestionnaireVersion.checksum, Questionnaire.opens_at, Questionnaire.closes_at)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Questionnaire.current_version_id)
        .where(Questionnaire.form_id == form_id)).first()
    if row is None:
        raise QuestionnaireNotFound(form_id)
    return Target(row.id, row.status, row.current_version_id, row.checksum, row.opens_at, row.closes_at)


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 time from a client (``Z`` allowed), made timezone-aware; None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


def body_digest(answers: Any, channel: str | None) -> str:
    """A digest of what was submitted, to tell a true retry from a reused key."""
    text = json.dumps({"answers": answers, "channel": channel}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def submit(form_id: str, answers: Any, *, channel: str | None = None, key: str | None = None,
           started_at: dt.datetime | None = None, mode: str = "self",
           field_worker_id: int | None = None) -> Submitted:
    """Validate and store one response.

    :raises QuestionnaireNotFound, QuestionnaireClosed, SubmissionRejected, KeyReused:
    """
    target = find_target(form_id)
    if target.state != "open":
        return _retry_or_raise(target, key, answers, channel, QuestionnaireClosed(target.state))
    compiled = compiled_version(target.version_id, target.checksum)
    result = validate(compiled, answers)
    errors = channel_errors(compiled, channel) + result.errors
    if errors:
        return _retry_or_raise(target, key, answers, channel, SubmissionRejected(errors))
    row = {
        "questionnaire_id": target.questionnaire_id, "version_id": target.version_id, "channel": channel,
        "answers": result.values, "started_at": started_at, "submission_key": key or uuid.uuid4().hex,
        "body_digest": body_digest(answers, channel), "mode": mode, "field_worker_id": field_worker_id,
        "submitted_at": utcnow(),
    }
    try:
        new_id = _insert(row)
    except IntegrityError as exc:
        return _retry_or_raise(target, key, answers, channel, exc)
    return Submitted(new_id, True)


_INSERT = insert(Response.__table__).returning(Response.__table__.c.id)


def _insert(row: dict[str, Any]) -> int:
    """Store one response in its own short transaction; returns its id.

    A Core INSERT ... RETURNING on a connection of its own: one statement and
    a commit, without the ORM session's bookkeeping or a reload of the row.
    """
    with db.engine.begin() as connection:
        return connection.execute(_INSERT, row).scalar_one()


def channel_errors(compiled: Compiled, channel: str | None) -> list[FieldError]:
    """An error when ``channel`` is not one of the questionnaire's channels."""
    if channel is None:
        return []
    codes = {c.code for c in compiled.questionnaire.channels}
    return [] if channel in codes else [FieldError("channel", "unknown_channel", {"value": str(channel)[:50]})]


def _retry_or_raise(target: Target, key: str | None, answers: Any, channel: str | None,
                    error: Exception) -> Submitted:
    """The earlier response stored under ``key`` if this is a retry of it; else raise ``error``.

    A retry must still get its id when the questionnaire has since closed or
    changed, and a concurrent twin's unique-key conflict means it was stored.
    """
    existing = None
    if key:
        # A fresh snapshot: SQLite reads within one transaction from its start,
        # and the twin that won the race may have committed since.
        db.session.rollback()
        existing = db.session.execute(
            select(Response.id, Response.body_digest)
            .where(Response.questionnaire_id == target.questionnaire_id, Response.submission_key == key)).first()
    if existing is None:
        raise error
    if existing.body_digest != body_digest(answers, channel):
        raise KeyReused(key)
    return Submitted(existing.id, False)


@dataclass(frozen=True)
class Prepared:
    """A complete response from elsewhere (a simulation or an import), ready to store."""

    answers: dict[str, Any]
    channel: str | None
    started_at: dt.datetime | None
    submitted_at: dt.datetime
    mode: str = "self"


def store_batch(form_id: str, items: Any, *, check: bool = True, batch: int = 2000,
                progress: Any = None) -> int:
    """Store many complete responses for the current version, ``batch`` rows per transaction.

    Each item is validated like a submission when ``check`` is true; the first
    invalid one stops the run with SubmissionRejected, and the batches before it
    stay stored (each batch is all or nothing). Returns how many were stored.
    """
    target = find_target(form_id)
    compiled = compiled_version(target.version_id, target.checksum)
    stored, rows = 0, []
    for item in items:
        values = item.answers
        if check:
            result = validate(compiled, item.answers)
            errors = channel_errors(compiled, item.channel) + result.errors
            if errors:
                raise SubmissionRejected(errors)
            values = result.values
        rows.append({"questionnaire_id": target.questionnaire_id, "version_id": target.version_id,
                     "channel": item.channel, "answers": values, "started_at": item.started_at,
                     "submitted_at": item.submitted_at, "submission_key": uuid.uuid4().hex,
                     "body_digest": body_digest(item.answers, item.channel), "mode": item.mode,
                     "field_worker_id": None})
        if len(rows) >= batch:
            stored += _insert_many(rows, progress)
            rows = []
    return stored + (_insert_many(rows, progress) if rows else 0)


def _insert_many(rows: list[dict[str, Any]], progress: Any) -> int:
    with db.engine.begin() as connection:
        connection.execute(insert(Response.__table__), rows)
    if progress is not None:
        progress(len(rows))
    return len(rows)
