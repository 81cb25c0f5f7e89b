"""Read a native YAML questionnaire into a ``RawForm``, keeping line numbers."""

from __future__ import annotations

from typing import Any

import yaml

from surveyapp.questionnaire.errors import Problem, QuestionnaireError
from surveyapp.questionnaire.raw import RawForm, Row, normalise_cells
from surveyapp.questionnaire.vocabulary import parse_type

# A misspelt key (``requird: yes``) must not silently drop a rule, so survey
# rows accept only the XLSForm columns we read (translations included).
ROW_KEYS = {"type", "name", "label", "hint", "required", "required_message", "relevant", "constraint",
            "constraint_message", "choice_filter", "calculation", "default", "appearance", "repeat_count",
            "parameters"}

TOP_LEVEL = {"form_id", "title", "version", "default_language", "allow_multiple", "allow_choice_duplicates",
             "study", "channels", "survey", "choices"}


class _LineDict(dict):
    """A mapping that remembers the line it started on."""

    line = 0


class _LineList(list):
    """A sequence that remembers the line of each item (scalars carry none of their own)."""

    lines: list[int] = []


class _Loader(yaml.SafeLoader):
    """Safe YAML loader whose mappings and sequences carry their line numbers."""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    mapping = _LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _LineList:
    items = _LineList(loader.construct_sequence(node, deep=True))
    items.lines = [child.start_mark.line + 1 for child in node.value]
    return items


# Dates stay text (checked where they are used): PyYAML would turn 2026-07-01 into
# a date and fail with a bare ValueError, without a line, on 2026-13-01.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def read_yaml(text: str, source: str) -> RawForm:
    """Parse YAML text into a RawForm.

    Raises QuestionnaireError only when the text is not YAML or not a mapping;
    other structural problems travel in ``RawForm.problems`` so that the builder
    reports them together with its own.
    """
    doc = parse_document(text, source)
    problems = [Problem(source, _where(doc), "unknown_key", {"key": k}) for k in doc if k not in TOP_LEVEL]
    form = RawForm(source=source, settings=Row(_where(doc), normalise_cells(_settings(doc))))
    form.study, form.study_location = _study(doc, source, problems)
    form.survey = _flatten(_as_list(doc, "survey", source, problems), source, problems, doc)
    form.choices, form.declared_lists = _choice_rows(doc.get("choices") or {}, doc, source, problems)
    channels = _as_list(doc, "channels", source, problems)
    form.channels = [_row(c) for i, c in enumerate(channels) if _is_map(c, _item_where(channels, i, doc),
                                                                          source, problems)]
    form.problems = problems
    return form


def parse_document(text: str, source: str) -> dict:
    """YAML text as a mapping whose mappings and lists remember their line numbers."""
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise QuestionnaireError([Problem(source, where, "unreadable", {"detail": _yaml_detail(exc)})]) from None
    if not isinstance(doc, dict):
        raise QuestionnaireError([Problem(source, "line 1", "not_a_mapping")])
    return doc


def _yaml_detail(exc: yaml.YAMLError) -> str:
    """What PyYAML found wrong; its first line alone is often only the context."""
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    text = ", ".join(p for p in parts if p)
    return text or str(exc).splitlines()[0]


def _where(mapping: Any) -> str:
    return f"line {getattr(mapping, 'line', 0)}"


def _item_where(items: Any, index: int, parent: Any) -> str:
    """The line of item ``index`` of a sequence, else of the enclosing mapping."""
    lines = getattr(items, "lines", [])
    return f"line {lines[index]}" if index < len(lines) else _where(parent)


def _row(mapping: dict, location: str | None = None) -> Row:
    return Row(location or _where(mapping), normalise_cells(dict(mapping)))


def _settings(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in ("study", "channels", "survey", "choices")}


def _study(doc: dict, source: str, problems: list[Problem]) -> tuple[dict, str]:
    """The study mapping and its line; anything else is a problem, not a crash."""
    study = doc.get("study")
    if study is None:
        return {}, _where(doc)
    if not isinstance(study, dict):
        problems.append(Problem(source, _where(doc), "not_a_mapping", {}))
        return {}, _where(doc)
    return dict(study), _where(study)


def _as_list(doc: dict, key: str, source: str, problems: list[Problem]) -> list:
    value = doc.get(key) or []
    if not isinstance(value, list):
        problems.append(Problem(source, _where(doc), "not_a_list", {"key": key}))
        return []
    return value


def _is_map(value: Any, location: str, source: str, problems: list[Problem]) -> bool:
    if isinstance(value, dict):
        return True
    problems.append(Problem(source, location, "not_a_mapping", {}))
    return False


def _name(item: dict) -> str | None:
    name = item.get("name")
    return None if name is None else str(name)


def _flatten(items: list, source: str, problems: list[Problem], parent: Any = None) -> list[Row]:
    """Nested ``children`` become begin_group ... end_group rows, as in XLSForm."""
    rows: list[Row] = []
    for index, item in enumerate(items):
        if not _is_map(item, _item_where(items, index, parent), source, problems):
            continue
        children = item.get("children")
        row = _row({k: v for k, v in item.items() if k != "children"}, _where(item))
        problems.extend(Problem(source, row.location, "unknown_key", {"key": key}, _name(item))
                        for key in row.cells if key not in ROW_KEYS)
        rows.append(row)
        if children is not None:
            if not isinstance(children, list):
                problems.append(Problem(source, row.location, "not_a_list", {"key": "children"}))
                continue
            rows.extend(_flatten(children, source, problems, item))
            spec = parse_type(row.get("type"))
            rows.append(Row(row.location, {"type": "end_repeat" if spec and spec.kind == "begin_repeat" else "end_group"}))
    return rows


def _choice_rows(lists: Any, doc: dict, source: str, problems: list[Problem]) -> tuple[list[Row], set[str]]:
    if not isinstance(lists, dict):
        problems.append(Problem(source, _where(doc), "not_a_mapping", {}))
        return [], set()
    rows = []
    for list_name, choices in lists.items():
        if not isinstance(choices, list):
            problems.append(Problem(source, _where(lists), "not_a_list", {"key": list_name}))
            continue
        for index, choice in enumerate(choices):
            if _is_map(choice, _item_where(choices, index, lists), source, problems):
                row = _row(choice)
                row.cells["list_name"] = str(list_name)
                rows.append(row)
    return rows, {str(name) for name in lists}
