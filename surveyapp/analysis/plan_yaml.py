"""An analysis plan as the YAML document a plan file holds (the inverse of ``plan_file``)."""

from __future__ import annotations

from typing import Any

import yaml

from surveyapp.analysis.plan import Indicator, Plan, QualityRules

HEADER = """\
# Analysis plan of {form_id}, derived from the questionnaire by `questionnaire scaffold`.
# Edit it (labels, positive codes, scores, waves, ranking.min_n …) and import it with
# `flask --app surveyapp questionnaire import {form_id}.analysis.yaml`; docs/analysis.md explains every key.
"""


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan in the keys a plan file uses; defaults left out where the file would not need them."""
    doc: dict[str, Any] = {"form_id": plan.form_id, "non_substantive": list(plan.non_substantive),
                           "ranking": {"min_n": plan.min_n}, "suppress_below": plan.suppress_below}
    if plan.quality != QualityRules():
        doc["quality"] = {k: v for k, v in vars(plan.quality).items() if v is not None}
    if plan.waves:
        doc["waves"] = [{"name": w.name, "start": w.start.isoformat(), "end": w.end.isoformat()} for w in plan.waves]
    doc["indicators"] = [_indicator(i) for i in plan.indicators]
    return doc


def _indicator(indicator: Indicator) -> dict[str, Any]:
    out: dict[str, Any] = {"name": indicator.name, "label": dict(indicator.label), "kind": indicator.kind}
    for key in ("question", "numerator", "denominator"):
        if getattr(indicator, key):
            out[key] = getattr(indicator, key)
    for key in ("positive", "any_of"):
        if getattr(indicator, key):
            out[key] = list(getattr(indicator, key))
    if indicator.question:      # always written: an absent exclude means the plan's non_substantive codes
        out["exclude"] = list(indicator.exclude)
    if indicator.kind == "score":
        out["scores"] = {code: (int(v) if float(v).is_integer() else v) for code, v in indicator.scores.items()}
    if indicator.components:
        out["components"] = dict(indicator.components)
    if indicator.kind == "admin" and indicator.per != 1.0:
        out["per"] = indicator.per
    if not indicator.higher_is_better:
        out["higher_is_better"] = False
    if indicator.description:
        out["description"] = dict(indicator.description)
    return out


def dump_document(doc: dict[str, Any], header: str = "") -> str:
    """A plan or layout document as YAML text that reads back the same (Chinese kept as is)."""
    return header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110, default_flow_style=False)


def dump_plan(plan: Plan) -> str:
    return dump_document(plan_document(plan), HEADER.format(form_id=plan.form_id))
