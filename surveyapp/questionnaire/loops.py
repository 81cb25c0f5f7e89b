"""XLSForm loops (``begin loop over LIST``): one group per choice, as pyxform builds them.

The group of choice ``c`` is named ``LOOP_c`` and its questions ``NAME_c``; ``%(name)s``
and ``%(label)s`` in their texts become the choice's value and label, and ``${NAME}`` of a
sibling in the loop refers to that choice's copy.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from surveyapp.questionnaire.raw import TRANSLATABLE, Row
from surveyapp.questionnaire.schema import Choice
from surveyapp.questionnaire.vocabulary import parse_type

_LOOP_FIELD = re.compile(r"%\((name|label)\)s")
REFERENCE = re.compile(r"\$\{([^}]*)\}")
"""A ``${name}`` reference in a text or an expression."""

Report = Callable[..., None]
"""The builder's ``problem(location, code, question, **params)``."""


def expand_loops(rows: list[Row], choices: dict[str, tuple[Choice, ...]], problem: Report) -> list[Row]:
    """``rows`` with every loop replaced by its groups; problems go to ``problem``."""
    out: list[Row] = []
    index = 0
    while index < len(rows):
        spec = parse_type(rows[index].get("type", ""))
        if spec is None or spec.kind != "begin_loop":
            out.append(rows[index])
            index += 1
            continue
        end = _loop_end(rows, index, problem)
        out.extend(_loop_rows(rows[index], rows[index + 1:end], choices, problem))
        index = end + 1
    return out


def _loop_end(rows: list[Row], start: int, problem: Report) -> int:
    depth = 0
    for index in range(start, len(rows)):
        spec = parse_type(rows[index].get("type", ""))
        kind = spec.kind if spec else ""
        depth += kind == "begin_loop"
        depth -= kind == "end_loop"
        if depth == 0:
            return index
    problem(rows[start].location, "unclosed_group", str(rows[start].get("name", "")),
            name=rows[start].get("name", ""))
    return len(rows)


def _loop_rows(begin: Row, body: list[Row], choices: dict, problem: Report) -> list[Row]:
    list_name = parse_type(begin.get("type")).list_name
    if list_name not in choices:
        problem(begin.location, "unknown_list", str(begin.get("name", "")), list=list_name)
        return []
    names = {str(r.get("name")) for r in body if r.get("name")}
    out = []
    for choice in choices[list_name]:
        head = {**begin.cells, "type": "begin_group", "name": f"{begin.get('name', 'loop')}_{choice.value}",
                "label": dict(choice.label) or {"default": choice.value}}
        out.append(Row(begin.location, head))
        out.extend(Row(r.location, _loop_cells(r.cells, choice, names)) for r in body)
        out.append(Row(begin.location, {"type": "end_group"}))
    return out


def _loop_cells(cells: dict[str, Any], choice: Choice, siblings: set[str]) -> dict[str, Any]:
    """One loop body row for ``choice``: its name suffixed, its texts and references filled in."""
    out = {}
    for key, value in cells.items():
        if key == "name" and value:
            out[key] = f"{value}_{choice.value}"
        elif key in TRANSLATABLE and isinstance(value, dict):
            out[key] = {lang: _loop_text(text, choice, lang) for lang, text in value.items()}
        elif isinstance(value, str):
            out[key] = REFERENCE.sub(lambda m: "${" + (f"{m.group(1)}_{choice.value}" if m.group(1) in siblings
                                                        else m.group(1)) + "}", value)
        else:
            out[key] = value
    return out


def _loop_text(text: str, choice: Choice, language: str) -> str:
    label = choice.label.get(language) or next(iter(choice.label.values()), choice.value)
    return _LOOP_FIELD.sub(lambda m: choice.value if m.group(1) == "name" else label, text)
