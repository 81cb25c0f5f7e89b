"""The shape both file syntaxes are read into before the model is built.

A reader turns a YAML file or an XLSForm workbook into a ``RawForm``: rows
in XLSForm's vocabulary (flat, with begin/end group rows), each with the
location a researcher can find it at. ``builder.build`` does the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TRANSLATABLE = frozenset({"label", "hint", "constraint_message", "required_message", "title"})

ALIASES = {
    "list name": "list_name",
    "choice filter": "choice_filter",
    "constraint message": "constraint_message",
    "jr:constraintmsg": "constraint_message",
    "required message": "required_message",
    "jr:requiredmsg": "required_message",
    "form_title": "title",
    "value": "name",
}

_LANGUAGE_IN_PARENS = re.compile(r"\(([^()]+)\)\s*$")


@dataclass
class Row:
    """One row of a sheet (or one YAML mapping), with its location."""

    location: str
    cells: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        """The cell ``key``, or ``default`` when empty."""
        value = self.cells.get(key)
        return default if value in (None, "", {}) else value


@dataclass
class RawForm:
    """A questionnaire file as read, before validation."""

    source: str
    settings: Row
    survey: list[Row] = field(default_factory=list)
    choices: list[Row] = field(default_factory=list)
    channels: list[Row] = field(default_factory=list)
    study: dict[str, Any] = field(default_factory=dict)
    study_location: str = ""
    # Lists named in the file, even empty ones: an empty YAML list has no rows,
    # and "no choices" is a clearer problem than "no such list".
    declared_lists: set[str] = field(default_factory=set)
    # Structural problems the reader found; reported with the builder's own so
    # that a researcher sees every problem of the file at once.
    problems: list = field(default_factory=list)


def split_header(header: str) -> tuple[str, str | None]:
    """Normalise a column header; returns (column, language or None).

    ``label::中文 (zh)`` gives ("label", "zh"); ``Choice Filter`` gives
    ("choice_filter", None).
    """
    column, _, language = str(header).partition("::")
    column = column.strip().lower()
    column = ALIASES.get(column, column).replace(" ", "_")
    if not language:
        return column, None
    return column, language_code(language)


# Languages written by name only (``label::English``, ``label:chinese``), as pyxform allows.
LANGUAGE_NAMES = {"english": "en", "chinese": "zh", "中文": "zh", "汉语": "zh", "简体中文": "zh",
                  "zh-cn": "zh", "zh_cn": "zh", "zh-hans": "zh"}
# Columns of ours that a workbook may write in any case (pyxform keeps unknown columns as written).
OWN_COLUMNS = frozenset({"exclusive", "allow_multiple", "list_name", "code"})


def language_code(text: str) -> str:
    """``English (en)`` gives "en", ``Chinese`` "zh"; other text without a code in parentheses is kept."""
    found = _LANGUAGE_IN_PARENS.search(str(text))
    code = (found.group(1) if found else str(text)).strip()
    return LANGUAGE_NAMES.get(code.lower(), code)


def normalise_cells(cells: dict[str, Any], rename: bool = True) -> dict[str, Any]:
    """Map raw headers to our columns, collecting translations into dicts.

    ``rename=False`` takes the headers as they are (pyxform has already read them), apart
    from the case of our own columns.
    """
    out: dict[str, Any] = {}
    for header, value in cells.items():
        if rename:
            column, language = split_header(header)
        else:
            column, language = (header.lower() if header.lower() in OWN_COLUMNS else header), None
        if column in TRANSLATABLE:
            texts = out.setdefault(column, {})
            if isinstance(value, dict):
                texts.update({_language_key(k): _text(v) for k, v in value.items()})
            elif value not in (None, ""):
                texts[language or "default"] = _text(value)
        else:
            out[column] = value.strip() if isinstance(value, str) else value
    return out


def _language_key(key: Any) -> str:
    return "default" if key == "default" else language_code(str(key))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
