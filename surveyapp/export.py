"""CSV export of responses and its codebook (used by the API and the CLI).

One row per response, one column per question; select_multiple and rank give
one column per choice (``name/value``: 0/1, or the rank). Questions of every
version appear, the current version's first; a question a response's version
lacks is empty. UTF-8 with a BOM so that Excel shows Chinese correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Questionnaire, QuestionnaireVersion, Response
from surveyapp.questionnaire.messages import pick
from surveyapp.questionnaire.schema import Question, Questionnaire as Form, from_definition

BOM = "\ufeff"
META = ("response_id", "version", "channel", "mode", "started_at", "submitted_at")
SPLIT_TYPES = {"select_multiple", "rank"}
BATCH = 1000


@dataclass(frozen=True)
class Column:
    """One exported column and where its value comes from."""

    name: str
    question: Question
    form: Form
    choice: str | None = None

    def value(self, answers: dict[str, Any]) -> Any:
        answer = answers.get(self.question.name)
        if self.choice is None:
            return answer
        if answer is None:
            return None
        if self.question.type == "rank":
            return answer.index(self.choice) + 1 if self.choice in answer else None
        return 1 if self.choice in answer else 0


def _forms(form_id: str) -> tuple[dict[int, int], list[Form]]:
    """Version id -> number, and each version's model, newest first."""
    rows = db.session.execute(
        select(QuestionnaireVersion.id, QuestionnaireVersion.number, QuestionnaireVersion.definition)
        .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .where(Questionnaire.form_id == form_id).order_by(QuestionnaireVersion.number.desc())).all()
    return {r.id: r.number for r in rows}, [from_definition(r.definition) for r in rows]


def columns(forms: list[Form]) -> list[Column]:
    """The answer columns over all versions, newest version's order first."""
    out: list[Column] = []
    seen: set[str] = set()
    for form in forms:
        for question in form.questions():
            if question.type == "note" or question.name in seen:
                continue
            seen.add(question.name)
            if question.type in SPLIT_TYPES:
                out += [Column(f"{question.name}/{choice}", question, form, choice) for choice in _choices(form, question)]
            else:
                out.append(Column(question.name, question, form))
    return out


def _choices(form: Form, question: Question) -> list[str]:
    values = [c.value for c in form.choices.get(question.list_name or "", ())]
    return values + (["other"] if question.or_other else [])


def _line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(["" if v is None else v for v in values])
    return buffer.getvalue()


def csv_lines(form_id: str) -> Iterator[str]:
    """The export, line by line (BOM first), reading responses in batches."""
    numbers, forms = _forms(form_id)
    cols = columns(forms)
    yield BOM + _line([*META, *(c.name for c in cols)])
    query = (select(Response).join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
             .where(Questionnaire.form_id == form_id)
             .order_by(Response.id).execution_options(yield_per=BATCH))
    for response in db.session.scalars(query):
        meta = [response.id, numbers.get(response.version_id), response.channel, response.mode,
                _iso(response.started_at), _iso(response.submitted_at)]
        yield _line(meta + [c.value(response.answers) for c in cols])


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def codebook_csv(form_id: str, language: str = "zh") -> str:
    """One row per column: question, its type and label, and each value with its label."""
    _, forms = _forms(form_id)
    lines = [BOM + _line(["column", "question", "type", "label", "values"])]
    for col in columns(forms):
        question = col.question
        lines.append(_line([col.name, question.name, question.type, _label(col, language), _values(col, language)]))
    return "".join(lines)


def _label(col: Column, language: str) -> str:
    text = pick(col.question.label, language)
    if col.choice is None:
        return text
    choice = next((c for c in col.form.choices.get(col.question.list_name or "", ()) if c.value == col.choice), None)
    return f"{text}: {pick(choice.label, language) if choice else col.choice}"


def _values(col: Column, language: str) -> str:
    if col.choice is not None:
        return "rank 1..n" if col.question.type == "rank" else "1=selected; 0=not selected"
    if col.question.list_name:
        return "; ".join(f"{c.value}={pick(c.label, language)}"
                         for c in col.form.choices.get(col.question.list_name, ()))
    return ""
