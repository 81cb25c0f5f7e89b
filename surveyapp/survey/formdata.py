"""Between HTML form fields and answers: reading a posted page, writing hidden fields.

Without JavaScript the survey is a series of server-rendered pages; answers
from the other pages travel along as hidden fields, so nothing is kept on
the server until the response is submitted.

A roster's entries are posted as ``member[1].m_age``, ``member[2].m_age`` …
(entries counted from 1) with ``_entries.member`` giving how many entries the
page showed, so that an entry nobody has answered yet is kept too. They are
read into the API's shape: ``{"member": [{"m_age": "41"}, {}]}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from werkzeug.datastructures import MultiDict

from surveyapp.questionnaire import types
from surveyapp.questionnaire.schema import Question, Repeat

MULTI_TYPES = {"select_multiple", "rank"}
MAX_ENTRIES = 50
"""More entries than this in one roster are not read from a form (a forged post)."""


def entry_prefix(repeat: Repeat | str, number: int) -> str:
    """The start of the field names of entry ``number`` (from 1): ``member[2].``."""
    name = repeat if isinstance(repeat, str) else repeat.name
    return f"{name}[{number}]."


def count_field(repeat: Repeat | str) -> str:
    """The hidden field saying how many entries of ``repeat`` the page holds."""
    return "_entries." + (repeat if isinstance(repeat, str) else repeat.name)


def rank_field(question: Question, value: str, prefix: str = "") -> str:
    """The form field holding the rank given to one choice of a rank question."""
    return f"{prefix}{question.name}.{value}"


def posted(question: Question) -> bool:
    """Whether a question has a form field (notes, calculations and hidden values have none)."""
    qtype = types.get(question.type)
    return qtype is not None and qtype.answerable


def answers_from_form(questions: Iterable[Question], form: MultiDict,
                      repeats: Iterable[Repeat] = ()) -> dict[str, Any]:
    """The non-empty answers in posted form data (strings and lists, not yet cleaned);
    each roster present in the form as a list of entries."""
    answers = _answers(questions, form, "")
    for repeat in repeats:
        count = entry_count(form, repeat)
        if count is not None:
            answers[repeat.name] = [_answers(repeat.questions(), form, entry_prefix(repeat, n))
                                    for n in range(1, count + 1)]
    return answers


def entry_count(form: MultiDict, repeat: Repeat) -> int | None:
    """How many entries of ``repeat`` were posted (None: the roster was not in the form)."""
    raw = form.get(count_field(repeat), "").strip()
    if not raw.isdigit():
        return None
    return min(int(raw), MAX_ENTRIES)


def _answers(questions: Iterable[Question], form: MultiDict, prefix: str) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in questions:
        if not posted(question):
            continue
        value = _read(question, form, prefix + question.name)
        if value not in (None, "", []):
            answers[question.name] = value
    return answers


def _read(question: Question, form: MultiDict, name: str) -> Any:
    if question.type == "select_multiple":
        return [v for v in form.getlist(name) if v]
    if question.type == "rank":
        return _read_rank(form, name)
    return form.get(name, "").strip()


def _read_rank(form: MultiDict, name: str) -> list[str]:
    """A rank comes as one position field per choice, or as a carried-over list."""
    carried = form.getlist(name)
    if carried:
        return carried
    prefix = name + "."
    positions = [(form.get(key), key[len(prefix):]) for key in form if key.startswith(prefix)]
    ranked = sorted((int(pos), value) for pos, value in positions if pos and pos.isdigit())
    return [value for _, value in ranked]


def hidden_fields(questions: Iterable[Question], answers: dict[str, Any], skip: set[str],
                  repeats: Iterable[Repeat] = ()) -> list[tuple[str, str]]:
    """(name, value) pairs carrying the answers of questions (and rosters) not on this page."""
    fields = _fields(questions, answers, skip, "")
    for repeat in repeats:
        entries = answers.get(repeat.name)
        if repeat.name in skip or not isinstance(entries, list):
            continue
        fields.append((count_field(repeat), str(len(entries))))
        for number, entry in enumerate(entries, start=1):
            fields.extend(_fields(repeat.questions(), entry, set(), entry_prefix(repeat, number)))
    return fields


def _fields(questions: Iterable[Question], answers: dict[str, Any], skip: set[str],
            prefix: str) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for question in questions:
        if question.name in skip or question.name not in answers or not posted(question):
            continue
        value = answers[question.name]
        values = value if isinstance(value, list) else [value]
        fields.extend((prefix + question.name, _text(v)) for v in values)
    return fields


def _text(value: Any) -> str:
    if value is True:
        return "OK"
    return str(value)
