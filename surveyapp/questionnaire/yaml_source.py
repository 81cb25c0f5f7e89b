"""Read a native YAML questionnaire into a ``RawForm``, keeping line numbers."""

from __future__ import annotations

from typing import Any

import yaml

from surveyapp.questionnaire.errors import Problem, QuestionnaireError
from surveyapp.questionnaire.raw import RawForm, Row, normalise_cells

TOP_LEVEL = {"form_id", "title", "version", "default_language", "allow_multiple",
             "study", "channels", "survey", "choices"}


class _LineDict(dict):
    """A mapping that remembers the line it started on."""

    line = 0


class _Loader(yaml.SafeLoader):
    """Safe YAML loader whose mappings carry their line numbers."""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    mapping = _LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)


def read_yaml(text: str, source: str) -> RawForm:
    """Parse YAML text into a RawForm; raises QuestionnaireError on bad structure."""
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise QuestionnaireError([Problem(source, where, "unreadable", {"detail": str(exc).splitlines()[0]})])
    if not isinstance(doc, dict):
        raise QuestionnaireError([Problem(source, "line 1", "not_a_mapping")])
    problems = [Problem(source, _where(doc), "unknown_key", {"key": k}) for k in doc if k not in TOP_LEVEL]
    form = RawForm(source=source, settings=Row(_where(doc), normalise_cells(_settings(doc))))
    form.study = dict(doc.get("study") or {})
    form.survey = _flatten(_as_list(doc, "survey", source, problems), source, problems)
    form.choices = _choice_rows(doc.get("choices") or {}, source, problems)
    form.channels = [_row(c) for c in _as_list(doc, "channels", source, problems) if _is_map(c, source, problems)]
    if problems:
        raise QuestionnaireError(problems)
    return form


def _where(mapping: Any) -> str:
    return f"line {getattr(mapping, 'line', 0)}"


def _row(mapping: dict, location: str | None = None) -> Row:
    return Row(location or _where(mapping), normalise_cells(dict(mapping)))


def _settings(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in ("study", "channels", "survey", "choices")}


def _as_list(doc: dict, key: str, source: str, problems: list[Problem]) -> list:
    value = doc.get(key) or []
    if not isinstance(value, list):
        problems.append(Problem(source, _where(doc), "not_a_list", {"key": key}))
        return []
    return value


def _is_map(value: Any, source: str, problems: list[Problem]) -> bool:
    if isinstance(value, dict):
        return True
    problems.append(Problem(source, "", "not_a_mapping", {}))
    return False


def _flatten(items: list, source: str, problems: list[Problem]) -> list[Row]:
    """Nested ``children`` become begin_group ... end_group rows, as in XLSForm."""
    rows: list[Row] = []
    for item in items:
        if not _is_map(item, source, problems):
            continue
        children = item.get("children")
        row = _row({k: v for k, v in item.items() if k != "children"}, _where(item))
        rows.append(row)
        if children is not None:
            if not isinstance(children, list):
                problems.append(Problem(source, row.location, "not_a_list", {"key": "children"}))
                continue
            rows.extend(_flatten(children, source, problems))
            rows.append(Row(row.location, {"type": "end_group"}))
    return rows


def _choice_rows(lists: Any, source: str, problems: list[Problem]) -> list[Row]:
    if not isinstance(lists, dict):
        problems.append(Problem(source, "", "not_a_mapping", {}))
        return []
    rows = []
    for list_name, choices in lists.items():
        if not isinstance(choices, list):
            problems.append(Problem(source, _where(lists), "not_a_list", {"key": list_name}))
            continue
        for choice in choices:
            if _is_map(choice, source, problems):
                row = _row(choice)
                row.cells["list_name"] = str(list_name)
                rows.append(row)
    return rows
