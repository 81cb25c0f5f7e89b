"""Write a ``Questionnaire`` as an XLSForm workbook (.xlsx) with openpyxl.

The workbook loads back to the same questionnaire (same checksum) and is an
ordinary XLSForm that pyxform converts:

- sheet ``survey``: flat ``begin_group``/``end_group`` and ``begin_repeat``/``end_repeat``
  rows, ``select_one L or_other`` types (the generated ``NAME_other`` rows are left out:
  ``or_other`` recreates them), ``required`` as ``yes`` or an expression;
- sheet ``choices``: every list, ``exclusive`` and filter columns, then the channels
  as the list named ``channels``;
- sheet ``settings``: title, form_id, version, default_language, allow_multiple,
  allow_choice_duplicates and the ``study_*`` columns.

Translated columns are named ``label::Chinese (zh)``: the reader takes the code in
parentheses, pyxform takes the whole ``Chinese (zh)`` as the language name. A title in
other languages goes in ``translated_title::English (en)`` columns, which pyxform ignores.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from surveyapp.questionnaire.rows import (
    PLAIN_COLUMNS, TEXT_COLUMNS, Cells, choice_cells, settings_cells, study_cells, survey_cells,
)
from surveyapp.questionnaire.schema import Questionnaire, Text
from surveyapp.questionnaire.xlsform_source import CHANNEL_LIST, STUDY_PREFIX, TRANSLATED_TITLE

LANGUAGE_NAMES = {
    "zh": "Chinese", "en": "English", "bo": "Tibetan", "ug": "Uyghur", "mn": "Mongolian",
    "ii": "Yi", "za": "Zhuang", "ko": "Korean", "ja": "Japanese", "ru": "Russian",
    "fr": "French", "es": "Spanish", "de": "German", "pt": "Portuguese", "ar": "Arabic",
    "vi": "Vietnamese",
}
END = {"begin_group": "end_group", "begin_repeat": "end_repeat"}


def language_header(column: str, language: str) -> str:
    """The header of a translated column, e.g. ``label::Chinese (zh)``."""
    name = LANGUAGE_NAMES.get(language, language)
    return f"{column}::{name} ({language})"


def text_cells(column: str, text: Text) -> Cells:
    """One cell per language of a translatable text."""
    return {language_header(column, lang): value for lang, value in text.items() if value}


def flat_rows(rows: Iterable[Cells]) -> Iterator[Cells]:
    """Nested rows as XLSForm's flat rows, texts spread over their language columns."""
    for row in rows:
        cells = {key: value for key, value in row.items() if key != "children" and key not in TEXT_COLUMNS}
        for column in TEXT_COLUMNS:
            cells.update(text_cells(column, row.get(column, {})))
        yield cells
        if "children" in row:
            yield from flat_rows(row["children"])
            yield {"type": END[row["type"]], "name": row["name"]}


def survey_headers(q: Questionnaire) -> list[str]:
    """Survey columns: type, name, the texts in every language, then the rest."""
    texts = [language_header(column, lang) for column in TEXT_COLUMNS for lang in q.languages]
    return ["type", "name", *texts, "repeat_count", *PLAIN_COLUMNS]


def choice_rows(q: Questionnaire) -> list[Cells]:
    """Every option of every list, then the channels as the ``channels`` list."""
    rows = []
    for name, choices in q.choices.items():
        for choice in choices:
            cells = choice_cells(choice)
            rows.append({"list_name": name, **{k: v for k, v in cells.items() if k != "label"},
                         **text_cells("label", cells.get("label", {}))})
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


def settings_row(q: Questionnaire) -> Cells:
    """The single settings row: title, ids, languages, flags and the study metadata."""
    cells: Cells = {"form_title": q.title.get(q.default_language)}
    cells.update({language_header(TRANSLATED_TITLE, lang): text for lang, text in q.title.items()
                  if lang != q.default_language})
    cells.update(settings_cells(q))
    cells.update({STUDY_PREFIX + name: value for name, value in study_cells(q).items()})
    return cells


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


def write_xlsform(q: Questionnaire, path: str | Path | Any) -> None:
    """Write ``q`` as an XLSForm workbook at ``path`` (a path or a binary file object).

    :raises ValueError: if a choice list is called ``channels`` (that name holds the channels).
    """
    if CHANNEL_LIST in q.choices:
        raise ValueError(f"choice list '{CHANNEL_LIST}' cannot be written: XLSForm files keep the channels there")
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    fill_sheet(survey, survey_headers(q), flat_rows(survey_cells(q)))
    rows = choice_rows(q)
    fill_sheet(book.create_sheet("choices"), choice_headers(q, rows), rows)
    settings = settings_row(q)
    fill_sheet(book.create_sheet("settings"), list(settings), [settings])
    book.save(path if not isinstance(path, Path) else str(path))
