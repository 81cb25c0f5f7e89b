"""CSV export of responses and its codebook (used by the API and the CLI).

The main table has one row per response, one column per question; each roster has a
table of its own, one row per entry (``export_tables``). Questions of every version
appear, the current version's first; a question a response's version lacks is empty.
UTF-8 with a BOM so that Excel shows Chinese correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from surveyapp.export_tables import MAIN, META, Column, Table, response_times, tables
from surveyapp.extensions import db
from surveyapp.models import Questionnaire, QuestionnaireVersion, Response
from surveyapp.questionnaire.messages import pick
from surveyapp.questionnaire.schema import Questionnaire as Form, from_definition

BOM = "\ufeff"
BATCH = 1000
CODEBOOK_HEADER = ["table", "column", "question", "type", "label", "values"]

__all__ = ["MAIN", "META", "UnknownTable", "codebook_csv", "csv_lines", "table_names"]


class UnknownTable(LookupError):
    """The export has no table of that name; ``names`` lists the ones it has."""

    def __init__(self, name: str, names: list[str]):
        super().__init__(name)
        self.name, self.names = name, names


def _forms(form_id: str) -> tuple[dict[int, int], list[Form]]:
    """Version id -> number, and each version's model, newest first."""
    rows = db.session.execute(
        select(QuestionnaireVersion.id, QuestionnaireVersion.number, QuestionnaireVersion.definition)
        .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .where(Questionnaire.form_id == form_id).order_by(QuestionnaireVersion.number.desc())).all()
    return {r.id: r.number for r in rows}, [from_definition(r.definition) for r in rows]


def table_names(form_id: str) -> list[str]:
    """``main`` and every roster's table, in document order."""
    return list(tables(_forms(form_id)[1]))


def _line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(["" if v is None else v for v in values])
    return buffer.getvalue()


def csv_lines(form_id: str, table: str = MAIN) -> Iterator[str]:
    """The export of one table: the header (BOM first), then one piece per response
    (its row, or its roster entries' rows, possibly none), reading responses in batches.

    :raises UnknownTable: before anything is yielded, when ``table`` does not exist.
    """
    numbers, forms = _forms(form_id)
    chosen = tables(forms).get(table)
    if chosen is None:
        raise UnknownTable(table, list(tables(forms)))
    return _pieces(form_id, numbers, chosen)


def _pieces(form_id: str, numbers: dict[int, int], table: Table) -> Iterator[str]:
    yield BOM + _line(table.header)
    query = (select(Response).join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
             .where(Questionnaire.form_id == form_id)
             .order_by(Response.id).execution_options(yield_per=BATCH))
    for response in db.session.scalars(query):
        times = response_times(response.started_at, response.submitted_at)
        if table.roster is None:
            meta = [response.id, numbers.get(response.version_id), response.channel, response.mode,
                    times["start"], times["end"]]
            yield _line(meta + [c.value(response.answers, times) for c in table.columns])
        else:
            entries = response.answers.get(table.name)
            yield "".join(_line([response.id, index, *(c.value(entry, times) for c in table.columns)])
                          for index, entry in enumerate(entries if isinstance(entries, list) else [], 1))


def codebook_csv(form_id: str, language: str = "zh") -> str:
    """One row per column of every table: its question, type and label, and each value with its label."""
    _, forms = _forms(form_id)
    lines = [BOM + _line(CODEBOOK_HEADER)]
    for table in tables(forms).values():
        lines += [_line([table.name, key, "", "key", _key_label(table, key, language), ""]) for key in table.keys]
        for col in table.columns:
            lines.append(_line([table.name, col.name, *_described(col, language)]))
    return "".join(lines)


_KEY_LABELS = {
    "response_id": {"zh": "答卷编号", "en": "Response id"},
    "version": {"zh": "问卷版本", "en": "Questionnaire version"},
    "channel": {"zh": "渠道（社区/警务区链接）", "en": "Channel"},
    "mode": {"zh": "方式：self 自填，interview 访谈", "en": "Mode: self or interview"},
    "started_at": {"zh": "开始作答时间（UTC）", "en": "Started (UTC)"},
    "submitted_at": {"zh": "提交时间（UTC）", "en": "Submitted (UTC)"},
}


def _key_label(table: Table, key: str, language: str) -> str:
    if key in _KEY_LABELS:
        return pick(_KEY_LABELS[key], language)
    roster = pick(table.roster.label, language) or table.name
    return f"{roster}: " + pick({"zh": "条目序号（从1起）", "en": "entry number (from 1)"}, language)


def _described(col: Column, language: str) -> list[str]:
    """question, type, label and values of an answer or count column."""
    if col.roster is not None:
        label = pick(col.roster.label, language) or col.roster.name
        return [col.roster.name, "count", f"{label}: " + pick({"zh": "条目数", "en": "number of entries"}, language),
                pick({"zh": "空 = 未询问", "en": "empty = not asked"}, language)]
    question = col.question
    return [question.name, question.type, _label(col, language), _values(col, language)]


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
