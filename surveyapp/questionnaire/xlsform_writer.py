"""Write a ``Questionnaire`` as an XLSForm workbook (.xlsx) with openpyxl.

The workbook loads back to an equal model (``load_file(xlsx) == load_file(yaml)``)
and is also an ordinary XLSForm that pyxform accepts:

- sheet ``survey``: flat ``begin_group``/``end_group`` rows, ``select_one L or_other``
  types (the generated ``NAME_other`` rows are left out: ``or_other`` recreates them),
  ``required`` as ``yes`` or an expression;
- sheet ``choices``: every list, ``exclusive`` and filter columns, then the channels
  as the list named ``channels``;
- sheet ``settings``: title, form_id, version, default_language, allow_multiple and
  the ``study_*`` columns.

Translated columns are named ``label::Chinese (zh)``: the reader takes the code in
parentheses, pyxform takes the whole ``Chinese (zh)`` as the language name.

Command line: ``python -m surveyapp.questionnaire.xlsform_writer IN.yaml OUT.xlsx``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from surveyapp.questionnaire.schema import Choice, Group, Item, Question, Questionnaire, Study, Text
from surveyapp.questionnaire.xlsform_source import CHANNEL_LIST, STUDY_PREFIX

LANGUAGE_NAMES = {
    "zh": "Chinese", "en": "English", "bo": "Tibetan", "ug": "Uyghur", "mn": "Mongolian",
    "ii": "Yi", "za": "Zhuang", "ko": "Korean", "ja": "Japanese", "ru": "Russian",
    "fr": "French", "es": "Spanish", "de": "German", "pt": "Portuguese", "ar": "Arabic",
    "vi": "Vietnamese",
}
SURVEY_TEXTS = ("label", "hint", "constraint_message", "required_message")
SURVEY_CELLS = ("required", "relevant", "constraint", "choice_filter", "calculation", "default",
                "appearance")
STUDY_FIELDS = tuple(Study.__dataclass_fields__)

Cells = dict[str, Any]


def language_header(column: str, language: str) -> str:
    """The header of a translated column, e.g. ``label::Chinese (zh)``."""
    name = LANGUAGE_NAMES.get(language, language)
    return f"{column}::{name} ({language})"


def text_cells(column: str, text: Text) -> Cells:
    """One cell per language of a translatable text."""
    return {language_header(column, lang): value for lang, value in text.items() if value}


# --- survey sheet ------------------------------------------------------------

def generated_names(q: Questionnaire) -> set[str]:
    """Names of the text questions that ``or_other`` adds (not written: they regenerate)."""
    return {f"{question.name}_other" for question in q.questions() if question.or_other}


def question_type(question: Question) -> str:
    """The XLSForm type cell: ``select_one L``, ``select_multiple L or_other``, ``integer``..."""
    parts = [question.type, question.list_name or "", "or_other" if question.or_other else ""]
    return " ".join(part for part in parts if part)


def question_row(question: Question) -> Cells:
    """The survey row of one question."""
    cells: Cells = {"type": question_type(question), "name": question.name}
    for column in SURVEY_TEXTS:
        cells.update(text_cells(column, getattr(question, column)))
    for column in SURVEY_CELLS:
        cells[column] = getattr(question, column)
    if question.required == "true()":
        cells["required"] = "yes"
    return cells


def group_rows(group: Group, skip: set[str]) -> Iterator[Cells]:
    """A group as begin_group, its children, and end_group."""
    begin: Cells = {"type": "begin_group", "name": group.name, **text_cells("label", group.label),
                    "relevant": group.relevant, "appearance": group.appearance}
    yield begin
    yield from survey_rows(group.children, skip)
    yield {"type": "end_group", "name": group.name}


def survey_rows(items: Iterable[Item], skip: set[str]) -> Iterator[Cells]:
    """Flat survey rows of ``items`` in document order, leaving out ``skip`` names."""
    for item in items:
        if isinstance(item, Group):
            yield from group_rows(item, skip)
        elif item.name not in skip:
            yield question_row(item)


def survey_headers(q: Questionnaire) -> list[str]:
    """Survey columns: type, name, the texts in every language, then the rest."""
    texts = [language_header(column, lang) for column in SURVEY_TEXTS for lang in q.languages]
    return ["type", "name", *texts, *SURVEY_CELLS]


# --- choices sheet -----------------------------------------------------------

def choice_row(list_name: str, choice: Choice) -> Cells:
    """The choices row of one option, with its filter columns."""
    cells: Cells = {"list_name": list_name, "name": choice.value, **text_cells("label", choice.label)}
    if choice.exclusive:
        cells["exclusive"] = "yes"
    cells.update(choice.columns)
    return cells


def choice_rows(q: Questionnaire) -> list[Cells]:
    """Every option of every list, then the channels as the ``channels`` list."""
    rows = [choice_row(name, choice) for name, choices in q.choices.items() for choice in choices]
    rows += [{"list_name": CHANNEL_LIST, "name": channel.code, **text_cells("label", channel.label)}
             for channel in q.channels]
    return rows


def choice_headers(q: Questionnaire, rows: list[Cells]) -> list[str]:
    """Choices columns: list_name, name, labels, exclusive, then extra columns in first-use order."""
    headers = ["list_name", "name", *(language_header("label", lang) for lang in q.languages)]
    if any("exclusive" in row for row in rows):
        headers.append("exclusive")
    for row in rows:
        headers += [column for column in row if column not in headers]
    return headers


# --- settings sheet ----------------------------------------------------------

def settings_row(q: Questionnaire) -> Cells:
    """The single settings row: title, ids, languages, and the study metadata."""
    cells: Cells = {"form_title": q.title.get(q.default_language)}
    cells.update({language_header("form_title", lang): text for lang, text in q.title.items()
                  if lang != q.default_language})
    cells.update({"form_id": q.form_id, "version": q.version, "default_language": q.default_language,
                  "allow_multiple": "yes" if q.allow_multiple else None})
    cells.update({STUDY_PREFIX + name: getattr(q.study, name) for name in STUDY_FIELDS})
    return cells


# --- workbook ----------------------------------------------------------------

def fill_sheet(sheet: Worksheet, headers: list[str], rows: Iterable[Cells]) -> None:
    """Write a header row and one row per dict; columns no row uses are dropped."""
    rows = list(rows)
    used = [h for h in headers if any(row.get(h) not in (None, "") for row in rows) or h in ("type", "name")]
    sheet.append(used)
    for row in rows:
        sheet.append([row.get(header) for header in used])
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a text starting with '=' is not a formula
    sheet.freeze_panes = "A2"


def write_xlsform(q: Questionnaire, path: str | Path) -> None:
    """Write ``q`` as an XLSForm workbook at ``path`` (sheets survey, choices, settings).

    :param q: a loaded questionnaire; its generated ``NAME_other`` questions are not written.
    :param path: where the .xlsx file goes (overwritten).
    :raises ValueError: if a choice list is called ``channels`` (that name holds the channels).
    """
    if CHANNEL_LIST in q.choices:
        raise ValueError(f"choice list '{CHANNEL_LIST}' cannot be written: XLSForm files keep the channels there")
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    fill_sheet(survey, survey_headers(q), survey_rows(q.items, generated_names(q)))
    rows = choice_rows(q)
    fill_sheet(book.create_sheet("choices"), choice_headers(q, rows), rows)
    settings = settings_row(q)
    fill_sheet(book.create_sheet("settings"), list(settings), [settings])
    book.save(str(path))


def main(argv: list[str] | None = None) -> int:
    """Convert a questionnaire file (YAML or XLSForm) to an XLSForm workbook."""
    from surveyapp.questionnaire import QuestionnaireError, load_file

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("source", help="questionnaire file (.yaml, .yml or .xlsx)")
    parser.add_argument("target", help="the .xlsx file to write")
    args = parser.parse_args(argv)
    try:
        q = load_file(args.source)
    except QuestionnaireError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    write_xlsform(q, args.target)
    if len(q.title) > 1:
        print("warning: the title is translated; pyxform and ODK cannot read form_title::<language> "
              "columns (our loader can)", file=sys.stderr)
    print(f"{args.target}: {len(q.questions())} questions, {len(q.choices)} choice lists")
    return 0


if __name__ == "__main__":
    sys.exit(main())
