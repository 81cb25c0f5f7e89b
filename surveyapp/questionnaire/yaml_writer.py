"""Write a ``Questionnaire`` in the native YAML syntax; loading it gives the same checksum."""

from __future__ import annotations

from typing import Any

import yaml

from surveyapp.questionnaire.rows import choice_cells, settings_cells, study_cells, survey_cells
from surveyapp.questionnaire.schema import Questionnaire


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the order given, long texts folded as they are."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def questionnaire_document(q: Questionnaire) -> dict[str, Any]:
    """The YAML document of ``q`` as plain data."""
    settings = settings_cells(q)
    doc: dict[str, Any] = {"form_id": settings.pop("form_id"), "title": dict(q.title), **settings}
    doc["study"] = study_cells(q)
    if q.channels:
        doc["channels"] = [{"code": c.code, "label": dict(c.label)} for c in q.channels]
    doc["survey"] = survey_cells(q)
    doc["choices"] = {name: [choice_cells(c) for c in cs] for name, cs in q.choices.items()}
    return doc


def dump_yaml(q: Questionnaire) -> str:
    """``q`` as YAML text."""
    header = f"# {q.title.get(q.default_language, q.form_id)} ({q.form_id}), written by SurveyApp\n"
    return header + yaml.dump(questionnaire_document(q), Dumper=_Dumper, allow_unicode=True,
                              sort_keys=False, width=100, default_flow_style=False)
