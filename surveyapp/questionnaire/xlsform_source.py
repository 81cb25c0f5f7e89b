"""Read an XLSForm workbook (.xlsx) into a ``RawForm`` through pyxform's reader.

pyxform reads the sheets (headers, cell values, translated columns); we keep
the sheet row numbers so every problem points at a row a researcher can find.
Channels are the choice list named ``channels``; study metadata sits in the
settings sheet as ``study_*`` columns.
"""

from __future__ import annotations

import re
from typing import Any

from pyxform.errors import PyXFormError
from pyxform.xls2json_backends import xlsx_to_dict

from surveyapp.questionnaire.errors import Problem, QuestionnaireError
from surveyapp.questionnaire.raw import RawForm, Row, normalise_cells

_MIDNIGHT = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}) 00:00:00")
CHANNEL_LIST = "channels"
STUDY_PREFIX = "study_"


def read_xlsform(path_or_file: Any, source: str) -> RawForm:
    """Read a workbook into a RawForm; raises QuestionnaireError if unreadable."""
    try:
        book = xlsx_to_dict(path_or_file)
    except PyXFormError as exc:
        raise QuestionnaireError([Problem(source, "", "unreadable", {"detail": str(exc)})]) from None
    except Exception as exc:  # noqa: BLE001 - a damaged workbook makes openpyxl raise
        # almost anything (XML ParseError, zlib.error, EOFError, ...); all mean "unreadable".
        detail = f"{type(exc).__name__}: {exc}"
        raise QuestionnaireError([Problem(source, "", "unreadable", {"detail": detail})]) from None
    if "survey" not in book:
        raise QuestionnaireError([Problem(source, "", "missing_sheet", {"sheet": "survey"})])
    settings_rows = _rows(book, "settings")
    settings = settings_rows[0] if settings_rows else Row("sheet 'settings' row 2", {})
    form = RawForm(source=source, settings=settings)
    form.study = {k[len(STUDY_PREFIX):]: v for k, v in settings.cells.items() if k.startswith(STUDY_PREFIX)}
    form.study_location = settings.location
    form.survey = _rows(book, "survey")
    choices = _rows(book, "choices")
    form.choices = [r for r in choices if r.get("list_name") != CHANNEL_LIST]
    form.channels = [_channel(r) for r in choices if r.get("list_name") == CHANNEL_LIST]
    form.declared_lists = {str(r.get("list_name")) for r in form.choices if r.get("list_name") is not None}
    return form


def _rows(book: dict, sheet: str) -> list[Row]:
    """Non-empty rows of ``sheet``; pyxform keeps blank rows, so index + 2 is the sheet row."""
    return [
        Row(f"sheet '{sheet}' row {index + 2}", _date_default(normalise_cells(cells)))
        for index, cells in enumerate(book.get(sheet) or [])
        if cells
    ]


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
