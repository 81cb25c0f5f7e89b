"""Questionnaires in the database: importing files as versions, and listing them.

Importing a file whose content is unchanged does nothing; a changed file
becomes a new version, and the older versions stay as they were.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from surveyapp import posters, responses
from surveyapp.extensions import db
from surveyapp.models import Questionnaire, QuestionnaireVersion, Response
from surveyapp.questionnaire import Questionnaire as Form
from surveyapp.questionnaire import checksum, from_definition, load_file, to_definition
from surveyapp.questionnaire.messages import pick
from surveyapp.questionnaire.types import get as question_type
from surveyapp.questionnaire.xlsform_writer import write_xlsform
from surveyapp.questionnaire.yaml_writer import dump_yaml


@dataclass(frozen=True)
class Imported:
    """What an import did: which questionnaire, which version, and whether it is new."""

    form_id: str
    version: int
    created: bool
    source: str


def find(form_id: str) -> Questionnaire | None:
    """The questionnaire called ``form_id``, if there is one."""
    return db.session.scalar(select(Questionnaire).where(Questionnaire.form_id == form_id))


def import_form(form: Form, source_name: str = "") -> Imported:
    """Store ``form`` as the current version of its questionnaire, unless unchanged."""
    definition = to_definition(form)
    digest = checksum(definition)
    questionnaire = find(form.form_id)
    if questionnaire is None:
        questionnaire = Questionnaire(form_id=form.form_id, title="")
        db.session.add(questionnaire)
    current = questionnaire.current_version
    if current is not None and current.checksum == digest:
        return Imported(form.form_id, current.number, False, source_name)
    version = QuestionnaireVersion(
        questionnaire=questionnaire, number=(current.number + 1 if current else 1),
        checksum=digest, definition=definition, source_name=source_name)
    db.session.add(version)
    questionnaire.title = pick(form.title, form.default_language)[:500]
    questionnaire.current_version = version
    db.session.commit()
    responses.forget_target(form.form_id)
    return Imported(form.form_id, version.number, True, source_name)


def import_file(path: str | Path) -> Imported:
    """Load, validate and import one file (raises QuestionnaireError when bad)."""
    path = Path(path)
    return import_form(load_file(path), path.name)


EXPORT_FORMATS = ("xlsx", "yaml")


class NotFound(LookupError):
    """No such questionnaire, or no such version of it."""


def version_form(form_id: str, number: int | None = None) -> Form:
    """Version ``number`` of a questionnaire (the current one by default) as the model.

    :raises NotFound: with a sentence saying what is missing.
    """
    questionnaire = find(form_id)
    if questionnaire is None or questionnaire.current_version is None:
        raise NotFound(f"没有问卷“{form_id}” (no questionnaire {form_id})")
    version = questionnaire.current_version if number is None else next(
        (v for v in questionnaire.versions if v.number == number), None)
    if version is None:
        numbers = ", ".join(str(v.number) for v in sorted(questionnaire.versions, key=lambda v: v.number))
        raise NotFound(f"问卷“{form_id}”没有第{number}版，现有版本：{numbers} (no version {number}; versions: {numbers})")
    return from_definition(version.definition)


def export_form(form_id: str, fmt: str, number: int | None = None) -> bytes:
    """A version written as an XLSForm workbook or a YAML file that imports back unchanged."""
    form = version_form(form_id, number)
    if fmt == "yaml":
        return dump_yaml(form).encode("utf-8")
    buffer = io.BytesIO()
    write_xlsform(form, buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class Overview:
    """One line of the questionnaire list."""

    form_id: str
    title: str
    version: int | None
    status: str
    responses: int
    channels: list[tuple[str, str]]


def overview() -> list[Overview]:
    """Every questionnaire with its current version, status, response count and channels."""
    counts = dict(db.session.execute(
        select(Response.questionnaire_id, func.count()).group_by(Response.questionnaire_id)).all())
    rows = []
    for q in db.session.scalars(select(Questionnaire).order_by(Questionnaire.form_id)):
        version = q.current_version
        channels = [(c["code"], pick(c["label"])) for c in (version.definition.get("channels", []) if version else [])]
        rows.append(Overview(q.form_id, q.title, version.number if version else None, q.status,
                             counts.get(q.id, 0), channels))
    return rows


def response_count(form_id: str) -> int:
    """How many responses ``form_id`` has, over all its versions."""
    return db.session.scalar(select(func.count()).select_from(Response).join(
        Questionnaire, Questionnaire.id == Response.questionnaire_id).where(Questionnaire.form_id == form_id))


def set_status(form_id: str, status: str) -> bool:
    """Open or close a questionnaire; False when there is no such questionnaire."""
    questionnaire = find(form_id)
    if questionnaire is None:
        return False
    questionnaire.status = status
    db.session.commit()
    responses.forget_target(form_id)
    return True


def set_schedule(form_id: str, opens_at, closes_at) -> bool:
    """Set (or clear, with None) the opening and closing times, read as UTC."""
    questionnaire = find(form_id)
    if questionnaire is None:
        return False
    utc = dt.timezone.utc
    questionnaire.opens_at = opens_at.replace(tzinfo=utc) if opens_at else None
    questionnaire.closes_at = closes_at.replace(tzinfo=utc) if closes_at else None
    db.session.commit()
    responses.forget_target(form_id)
    return True


def poster(form_id: str, channel: str | None, base_url: str) -> posters.Poster | None:
    """What the poster of ``form_id`` (for ``channel``, if given and known) says."""
    q = find(form_id)
    if q is None or q.current_version is None:
        return None
    form = from_definition(q.current_version.definition)
    found = next((c for c in form.channels if c.code == channel), None)
    answerable = sum(1 for question in form.questions() if question_type(question.type).answerable)
    return posters.Poster(
        title=pick(form.title, form.default_language), organisation=form.study.organisation,
        purpose=form.study.purpose, channel_label=pick(found.label) if found else "",
        link=posters.survey_link(base_url, form_id, found.code if found else None),
        minutes=posters.minutes_to_answer(answerable))
