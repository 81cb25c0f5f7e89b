"""Read a questionnaire's stored responses into an analysis ``Dataset`` in one query.

This is the one place where the analysis layer meets the database: it selects
the responses (optionally of some versions, channels, a time range or waves),
hands their answer documents and metadata to ``analysis.frame.build_dataset``
and marks each response's wave.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import datetime as dt
import gc
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import orjson
import pandas as pd
from sqlalchemy import Row, Select, String, Text, cast, false, or_, select

from surveyapp import catalogue, studies
from surveyapp.analysis.frame import Dataset, assign_waves, build_dataset
from surveyapp.analysis.plan import TIMEZONE, WaveSpec
from surveyapp.extensions import db
from surveyapp.models import QuestionnaireVersion, Response
from surveyapp.questionnaire import from_definition

CHUNK = 2048
"""Answer documents parsed and typed per chunk: fewer processor cache misses, less peak memory."""


# Times and answers are read as text and parsed in bulk (pandas, orjson): per-row
# conversion by the driver or SQLAlchemy would take most of the read's time.
_COLUMNS = (Response.id, Response.version_id, Response.channel, Response.mode, Response.field_worker_id,
            cast(Response.started_at, String).label("started_at"),
            cast(Response.submitted_at, String).label("submitted_at"),
            cast(Response.answers, Text).label("answers"))


def load_dataset(form_id: str, *, versions: Sequence[int] | None = None, channels: Sequence[str] | None = None,
                 since: dt.datetime | None = None, until: dt.datetime | None = None,
                 waves: Sequence[str] | None = None) -> Dataset:
    """The responses of ``form_id`` as a typed dataset.

    :param versions: version numbers to include (default: all).
    :param channels: channel codes to include (default: all).
    :param since, until: submit-time bounds (UTC; ``until`` exclusive).
    :param waves: wave names to include (default: all responses, in a wave or not).
    """
    questionnaire = catalogue.find(form_id)
    if questionnaire is None:
        raise studies.StudyError(f"问卷“{form_id}”不存在 (no questionnaire '{form_id}')")
    version_rows = db.session.execute(
        select(QuestionnaireVersion.id, QuestionnaireVersion.number, QuestionnaireVersion.definition)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire.id)
        .order_by(QuestionnaireVersion.number.desc())).all()
    if versions:
        version_rows = [v for v in version_rows if v.number in set(versions)]
    numbers = {v.id: v.number for v in version_rows}
    declared = studies.waves(form_id)
    query = select(*_COLUMNS).where(Response.questionnaire_id == questionnaire.id,
                                    Response.version_id.in_(numbers)).order_by(Response.id)
    if waves is not None and not set(waves) <= {w.name for w in declared}:
        unknown = ", ".join(sorted(set(waves) - {w.name for w in declared}))
        raise studies.StudyError(f"调查期不存在 (no such wave): {unknown}")
    chosen = None if waves is None else [w for w in declared if w.name in waves]
    query = _filtered(query, channels, since, until, chosen)
    with _collector_paused():
        return _read(query, numbers, version_rows, declared, form_id)


def _read(query: Select, numbers: dict[int, int], version_rows: Sequence[Row], declared: Sequence[WaveSpec],
          form_id: str) -> Dataset:
    """Run the query and type what it returns (the documents parsed and typed chunk by chunk)."""
    rows = db.session.execute(query).all()
    ids, version_ids, channels_, modes, workers, started, submitted, documents = (
        [list(column) for column in zip(*rows)] if rows else [[] for _ in _COLUMNS])
    meta = {"_id": ids, "_version": [numbers[v] for v in version_ids], "_channel": channels_, "_mode": modes,
            "_field_worker": workers, "_started_at": _times(started), "_submitted_at": _times(submitted)}
    chunks = ([orjson.loads(d) for d in documents[i:i + CHUNK]] for i in range(0, len(documents), CHUNK))
    dataset = build_dataset(meta, chunks, [from_definition(v.definition) for v in version_rows],
                            sorted(numbers.values()), studies.plan_for(form_id).non_substantive, chunked=True)
    digest = hashlib.sha256()
    for row in zip(ids, submitted, documents):
        digest.update("\x1f".join(map(str, row)).encode("utf-8"))
        digest.update(b"\x1e")
    dataset = dataclasses.replace(dataset, checksum=digest.hexdigest())
    dataset.frame["_wave"] = assign_waves(dataset.frame["_submitted_at"],
                                          [(w.name, w.start, w.end) for w in declared], TIMEZONE)
    return dataset


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while millions of containers are built.

    The answer documents create no reference cycles, but every few thousand new
    dicts trigger a collection that walks all of them: with it, parsing 100k
    documents takes 3-4 times as long.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _filtered(query, channels, since, until, wave_specs):
    if channels:
        query = query.where(Response.channel.in_(list(channels)))
    if since is not None:
        query = query.where(Response.submitted_at >= since)
    if until is not None:
        query = query.where(Response.submitted_at < until)
    if wave_specs is not None:
        bounds = [_day_bounds(w.start, w.end) for w in wave_specs]
        query = query.where(or_(false(), *[Response.submitted_at.between(a, b) for a, b in bounds]))
    return query


def _day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants of the start of ``first`` and the end of ``last`` in local time."""
    zone = ZoneInfo(TIMEZONE)
    start = dt.datetime.combine(first, dt.time.min, zone).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(last, dt.time.max, zone).astimezone(dt.timezone.utc)
    return start, end


def _times(texts: list[str | None]):
    """Stored times as UTC timestamps (SQLite keeps them without an offset, in UTC)."""
    return pd.to_datetime(pd.Series(texts, dtype=object), format="ISO8601", utc=True)
