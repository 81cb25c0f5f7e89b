"""Read an XLSForm (.xlsx, .xls, .xlsm, or pyxform's .csv/.md forms) into a ``RawForm``.

pyxform does the reading: its backends open the workbook, and its header rules decide what
a column means (case, spaces, aliases such as ``list name``, ``caption`` or ``relevance``,
``label:English`` with one colon, ``label::中文 (zh)``), so a form written for KoboToolbox,
ODK or WPS reads here as it does there. We keep each row's sheet row number so that every
problem points at a row a researcher can find. Channels are the choice list named
``channels``; study metadata sits in the settings sheet as ``study_*`` columns.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from contextlib import contextmanager
from typing import Any

from pyxform import aliases, constants
from pyxform.errors import PyXFormError
from pyxform.parsing.sheet_headers import dealias_and_group_headers
from pyxform.question import MultipleChoiceQuestion, Option
from pyxform.survey import Survey
from pyxform.xls2json_backends import Definition, SupportedFileTypes, definition_to_dict

from surveyapp.questionnaire.errors import Problem, QuestionnaireError
from surveyapp.questionnaire.raw import TRANSLATABLE, RawForm, Row, language_code, normalise_cells

SUFFIXES = tuple(t.value for t in SupportedFileTypes)
_MIDNIGHT = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}) 00:00:00")
CHANNEL_LIST = "channels"
STUDY_PREFIX = "study_"
# pyxform's nested columns (bind::..., control::...) and the columns they are here.
_NESTED = {
    "relevant": "relevant", "required": "required", "constraint": "constraint",
    "jr:constraintMsg": "constraint_message", "jr:requiredMsg": "required_message",
    "calculate": "calculation", "readonly": "readonly", "appearance": "appearance",
    "jr:count": "repeat_count",
}
TRANSLATED_TITLE = "translated_title"
"""Settings column of the title in other languages (``translated_title::English (en)``):
pyxform cannot take a translated ``form_title`` and ignores this one."""
_SETTINGS = {constants.ID_STRING: "form_id", constants.TITLE: "title"}
# pyxform turns “curly” quotes into straight ones, which expressions typed in a word processor
# need; Chinese texts keep theirs. They travel through pyxform as private-use characters.
_CURLY = "\u2018\u2019\u201c\u201d"
_KEPT = "\ue018\ue019\ue01c\ue01d"
_HIDE = str.maketrans(_CURLY, _KEPT)
_AS_TEXT = str.maketrans(_KEPT, _CURLY)
_AS_CODE = str.maketrans(_KEPT, "''\"\"")


@contextmanager
def quiet():
    """Keep openpyxl's and pyxform's warnings and log lines off the terminal while reading."""
    logger = logging.getLogger("pyxform")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


def read_xlsform(data: bytes, source: str, suffix: str = ".xlsx") -> RawForm:
    """Read a workbook's bytes into a RawForm; raises QuestionnaireError if unreadable."""
    try:
        with quiet():
            book = definition_to_dict(Definition(io.BytesIO(data), SupportedFileTypes(suffix), None), suffix)
    except PyXFormError as exc:
        raise QuestionnaireError([Problem(source, "", "unreadable", {"detail": _detail(exc)})]) from None
    except Exception as exc:  # noqa: BLE001 - a damaged workbook makes openpyxl or xlrd raise
        # almost anything (XML ParseError, zlib.error, EOFError, ...); all mean "unreadable".
        detail = f"{type(exc).__name__}: {exc}"
        raise QuestionnaireError([Problem(source, "", "unreadable", {"detail": detail})]) from None
    if not book.survey and not book.survey_header:
        raise QuestionnaireError([Problem(source, "", "missing_sheet", {"sheet": "survey"})])
    return _Reader(book, source).read()


class _Reader:
    """One workbook, sheet by sheet; header problems are collected, not raised."""

    def __init__(self, book, source: str):
        self.book = book
        self.source = source
        self.problems: list[Problem] = []

    def read(self) -> RawForm:
        settings_rows = self.rows("settings", aliases.settings_header, set(Survey.get_slot_names()))
        settings = settings_rows[0] if settings_rows else Row("sheet 'settings' row 2", {})
        settings.cells = {_SETTINGS.get(k, k.lower()): v for k, v in settings.cells.items()}
        translated = settings.cells.pop(TRANSLATED_TITLE, None)
        if isinstance(translated, dict):
            title = settings.cells.get("title")
            settings.cells["title"] = {**(title if isinstance(title, dict) else {"default": title}), **{language_code(k): v for k, v in translated.items()}}
        form = RawForm(source=self.source, settings=settings)
        form.study = {k[len(STUDY_PREFIX):]: v for k, v in settings.cells.items() if k.startswith(STUDY_PREFIX)}
        form.study_location = settings.location
        form.survey = self.rows("survey", aliases.survey_header, set(MultipleChoiceQuestion.get_slot_names()))
        choices = self.rows("choices", aliases.list_header, set(Option.get_slot_names()))
        form.choices = [r for r in choices if r.get("list_name") != CHANNEL_LIST]
        form.channels = [_channel(r) for r in choices if r.get("list_name") == CHANNEL_LIST]
        form.declared_lists = {str(r.get("list_name")) for r in form.choices if r.get("list_name") is not None}
        if self.book.entities:
            form.problems.append(Problem(self.source, "sheet 'entities'", "unsupported_feature",
                                         {"feature": "entities"}))
        form.problems.extend(self.problems)
        return form

    def rows(self, sheet: str, header_aliases: dict, columns: set[str]) -> list[Row]:
        """Non-empty rows of ``sheet`` with pyxform's column names, as our cells."""
        data = [{k: v.translate(_HIDE) if isinstance(v, str) else v for k, v in row.items()}
                for row in getattr(self.book, sheet) or []]
        try:
            with quiet():
                grouped = dealias_and_group_headers(
                    sheet_name=sheet, sheet_data=data, sheet_header=getattr(self.book, f"{sheet}_header"),
                    header_aliases=header_aliases, header_columns=columns, add_row_number=True)
        except PyXFormError as exc:
            self.problems.append(Problem(self.source, f"sheet '{sheet}'", "unreadable", {"detail": _detail(exc)}))
            return []
        return [Row(f"sheet '{sheet}' row {row['__row']}", _quotes(_date_default(normalise_cells(_flat(row), rename=False))))
                for row in grouped.data if len(row) > 1]


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """pyxform's nested row ({"bind": {"relevant": ...}, "label": {lang: text}}) as flat columns."""
    cells: dict[str, Any] = {}
    for key, value in row.items():
        if key == "__row":
            continue
        if key in ("bind", "control") and isinstance(value, dict):
            for inner, cell in value.items():
                cells[_NESTED.get(inner, f"{key}::{inner}")] = cell
        elif key == constants.LIST_NAME_S:
            cells["list_name"] = value
        else:
            cells[key] = value
    return cells


def _quotes(cells: dict[str, Any]) -> dict[str, Any]:
    """Curly quotes back in texts; straight, as pyxform makes them, in expressions and codes."""
    return {k: ({lang: t.translate(_AS_TEXT) for lang, t in v.items()} if k in TRANSLATABLE and isinstance(v, dict)
                else v.translate(_AS_CODE) if isinstance(v, str) else v) for k, v in cells.items()}


def _date_default(cells: dict[str, Any]) -> dict[str, Any]:
    """Excel turns a typed 2026-03-01 into a date cell, which pyxform writes as
    "2026-03-01 00:00:00"; as a default that is the date the researcher typed."""
    found = _MIDNIGHT.fullmatch(str(cells.get("default") or ""))
    if found:
        cells["default"] = found.group(1)
    return cells


def _channel(row: Row) -> Row:
    cells = dict(row.cells)
    cells["code"] = cells.pop("name", None)
    return Row(row.location, cells)


def _detail(exc: Exception) -> str:
    """pyxform's message on one line."""
    return " ".join(str(exc).split())
