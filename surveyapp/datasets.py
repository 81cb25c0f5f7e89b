"""Read a questionnaire's stored responses into an analysis ``Dataset`` in one query.

This is the one place where the analysis layer meets the database: it selects
the responses (optionally of some versions, channels, a time range or waves),
hands their answer documents and metadata to ``analysis.frame.build_dataset``
and marks each response's wave.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import false, or_, select

from surveyapp import studies
from surveyapp.analysis.frame import Dataset, assign_waves, build_dataset
from surveyapp.extensions import db
from surveyapp.models import Questionnaire, QuestionnaireVersion, Response
from surveyapp.questionnaire import from_definition

TIMEZONE = "Asia/Shanghai"
"""Waves are calendar days where the survey runs (China Standard Time)."""

_COLUMNS = (Response.id, Response.version_id, Response.channel, Response.mode, Response.field_worker_id,
            Response.started_at, Response.submitted_at, Response.answers)


def load_dataset(form_id: str, *, versions: Sequence[int] | None = None, channels: Sequence[str] | None = None,
                 since: dt.datetime | None = None, until: dt.datetime | None = None,
                 waves: Sequence[str] | None = None) -> Dataset:
    """The responses of ``form_id`` as a typed dataset.

    :param versions: version numbers to include (default: all).
    :param channels: channel codes to include (default: all).
    :param since, until: submit-time bounds (UTC; ``until`` exclusive).
    :param waves: wave names to include (default: all responses, in a wave or not).
    """
    questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.form_id == form_id))
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
    rows = db.session.execute(query).all()
    meta = {"_id": [r.id for r in rows], "_version": [numbers[r.version_id] for r in rows],
            "_channel": [r.channel for r in rows], "_mode": [r.mode for r in rows],
            "_field_worker": [r.field_worker_id for r in rows], "_started_at": [r.started_at for r in rows],
            "_submitted_at": [_utc(r.submitted_at) for r in rows]}
    meta["_started_at"] = [_utc(v) for v in meta["_started_at"]]
    dataset = build_dataset(meta, [r.answers for r in rows], [from_definition(v.definition) for v in version_rows],
                            sorted(numbers.values()), studies.plan_for(form_id).non_substantive)
    dataset.frame["_wave"] = assign_waves(dataset.frame["_submitted_at"],
                                          [(w.name, w.start, w.end) for w in declared], TIMEZONE)
    return dataset


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


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.timezone.utc)
