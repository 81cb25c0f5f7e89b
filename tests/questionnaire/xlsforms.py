"""Build XLSForm workbooks for tests from compact Python row tables.

A sheet is a list of rows; the first row is the header. ``None`` as a whole
row leaves that sheet row blank (to check that locations count blank rows).
A cell may be any value openpyxl writes (text, number, bool, date).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any, Sequence

from openpyxl import Workbook

Sheet = Sequence[Sequence[Any] | None]


def write_xlsform(directory: Path, name: str, survey: Sheet, choices: Sheet | None = None,
                  settings: Sheet | None = None, extra: dict[str, Sheet] | None = None) -> Path:
    """Write ``name``.xlsx into ``directory`` with the given sheets; returns its path."""
    book = Workbook()
    book.remove(book.active)
    sheets = {"survey": survey, "choices": choices, "settings": settings, **(extra or {})}
    for title, rows in sheets.items():
        if rows is not None:
            _fill(book.create_sheet(title), rows)
    path = Path(directory) / f"{name}.xlsx"
    book.save(path)
    return path


def settings_sheet(**columns: Any) -> list[tuple]:
    """A one-row settings sheet from keyword columns (form_id=..., study_sampling=...)."""
    return [tuple(columns), tuple(columns.values())]


def choices_sheet(lists: dict[str, list[tuple]], header: Sequence[str] = ("list_name", "name", "label")) -> list:
    """A choices sheet from {list name: [(name, label, *more columns)]}."""
    rows: list[tuple | None] = [tuple(header)]
    for list_name, choices in lists.items():
        rows.extend((list_name, *choice) for choice in choices)
    return rows


def corrupt_xlsx(directory: Path, name: str, content: bytes | None = None) -> Path:
    """A file ending in .xlsx that is not a workbook: raw bytes, or a zip of junk."""
    path = Path(directory) / f"{name}.xlsx"
    if content is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<not xml")
            archive.writestr("xl/workbook.xml", "<<<")
        content = buffer.getvalue()
    path.write_bytes(content)
    return path


def _fill(sheet, rows: Sheet) -> None:
    for index, row in enumerate(rows, start=1):
        if row is None:
            continue
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=index, column=column, value=value)
