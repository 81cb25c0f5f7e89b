"""A questionnaire as the rows of its file: what both writers (XLSForm and YAML) start from.

Each survey row is a dict of column → value, translatable columns holding a ``Text``
({language: text}); groups and repeats carry their children under ``children``. Loading
what either writer makes of these rows gives the same questionnaire (same checksum).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from surveyapp.questionnaire.schema import Choice, Group, Item, Question, Questionnaire, Repeat, Study, walk_all

TEXT_COLUMNS = ("label", "hint", "constraint_message", "required_message")
PLAIN_COLUMNS = ("required", "relevant", "constraint", "choice_filter", "calculation", "default",
                 "appearance", "parameters")
STUDY_FIELDS = tuple(Study.__dataclass_fields__)

Cells = dict[str, Any]


def generated_names(q: Questionnaire) -> set[str]:
    """Names of the text questions that ``or_other`` adds (not written: they regenerate)."""
    return {f"{question.name}_other" for question, _ in walk_all(q.items) if question.or_other}


def question_type(question: Question) -> str:
    """The XLSForm type cell: ``select_one L``, ``select_multiple L or_other``, ``integer``..."""
    parts = [question.type, question.list_name or "", "or_other" if question.or_other else ""]
    return " ".join(part for part in parts if part)


def question_cells(question: Question) -> Cells:
    """The row of one question; empty columns left out."""
    cells: Cells = {"type": question_type(question), "name": question.name}
    cells.update({column: getattr(question, column) for column in TEXT_COLUMNS if getattr(question, column)})
    for column in PLAIN_COLUMNS:
        value = getattr(question, column)
        if column == "parameters":
            value = " ".join(f"{key}={number}" for key, number in value.items())
        if column == "required" and value == "true()":
            value = "yes"
        if value:
            cells[column] = value
    return cells


def container_cells(item: Group | Repeat, skip: set[str]) -> Cells:
    """A group or a repeat with its children."""
    cells: Cells = {"type": "begin_group" if isinstance(item, Group) else "begin_repeat", "name": item.name}
    if item.label:
        cells["label"] = item.label
    for column, value in (("relevant", item.relevant), ("repeat_count", getattr(item, "count", None)),
                          ("appearance", item.appearance)):
        if value:
            cells[column] = value
    cells["children"] = item_cells(item.children, skip)
    return cells


def item_cells(items: Iterable[Item], skip: set[str]) -> list[Cells]:
    """The rows of ``items`` in document order, leaving out ``skip`` names."""
    return [container_cells(item, skip) if isinstance(item, (Group, Repeat)) else question_cells(item)
            for item in items if isinstance(item, (Group, Repeat)) or item.name not in skip]


def survey_cells(q: Questionnaire) -> list[Cells]:
    """Every survey row of ``q``, nested."""
    return item_cells(q.items, generated_names(q))


def choice_cells(choice: Choice) -> Cells:
    """The row of one option, with its filter columns."""
    cells: Cells = {"name": choice.value}
    if choice.label:
        cells["label"] = choice.label
    if choice.exclusive:
        cells["exclusive"] = "yes"
    cells.update(choice.columns)
    return cells


def has_duplicate_choices(q: Questionnaire) -> bool:
    """Whether some list repeats a value (written with ``allow_choice_duplicates``)."""
    return any(len({c.value for c in cs}) < len(cs) for cs in q.choices.values())


def settings_cells(q: Questionnaire) -> Cells:
    """The settings: ids, version, language and flags (title and study apart)."""
    cells: Cells = {"form_id": q.form_id, "version": q.version, "default_language": q.default_language}
    if q.allow_multiple:
        cells["allow_multiple"] = "yes"
    if has_duplicate_choices(q):
        cells["allow_choice_duplicates"] = "yes"
    return {key: value for key, value in cells.items() if value}


def study_cells(q: Questionnaire) -> Cells:
    """The study metadata that is set."""
    return {name: getattr(q.study, name) for name in STUDY_FIELDS if getattr(q.study, name)}
