"""Between HTML form fields and answers: reading a posted page, writing hidden fields.

Without JavaScript the survey is a series of server-rendered pages; answers
from the other pages travel along as hidden fields, so nothing is kept on
the server until the response is submitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from werkzeug.datastructures import MultiDict

from surveyapp.questionnaire.schema import Question

MULTI_TYPES = {"select_multiple", "rank"}
SKIPPED_TYPES = {"note", "calculate"}


def rank_field(question: Question, value: str) -> str:
    """The form field holding the rank given to one choice of a rank question."""
    return f"{question.name}.{value}"


def answers_from_form(questions: Iterable[Question], form: MultiDict) -> dict[str, Any]:
    """The non-empty answers in posted form data (strings and lists, not yet cleaned)."""
    answers: dict[str, Any] = {}
    for question in questions:
        if question.type in SKIPPED_TYPES:
            continue
        value = _read(question, form)
        if value not in (None, "", []):
            answers[question.name] = value
    return answers


def _read(question: Question, form: MultiDict) -> Any:
    if question.type == "select_multiple":
        return [v for v in form.getlist(question.name) if v]
    if question.type == "rank":
        return _read_rank(question, form)
    return form.get(question.name, "").strip()


def _read_rank(question: Question, form: MultiDict) -> list[str]:
    """A rank comes as one position field per choice, or as a carried-over list."""
    carried = form.getlist(question.name)
    if carried:
        return carried
    prefix = question.name + "."
    positions = [(form.get(key), key[len(prefix):]) for key in form if key.startswith(prefix)]
    ranked = sorted((int(pos), value) for pos, value in positions if pos and pos.isdigit())
    return [value for _, value in ranked]


def hidden_fields(questions: Iterable[Question], answers: dict[str, Any], skip: set[str]) -> list[tuple[str, str]]:
    """(name, value) pairs carrying the answers of questions not on this page."""
    fields: list[tuple[str, str]] = []
    for question in questions:
        if question.name in skip or question.name not in answers or question.type in SKIPPED_TYPES:
            continue
        value = answers[question.name]
        values = value if isinstance(value, list) else [value]
        fields.extend((question.name, _text(v)) for v in values)
    return fields


def _text(value: Any) -> str:
    if value is True:
        return "OK"
    return str(value)
