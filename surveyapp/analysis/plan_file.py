"""Reading an analysis plan file and checking it against its questionnaire.

``load_plan_file`` (or ``build_plan`` on a parsed document) gives a ``Plan`` or raises a
``QuestionnaireError`` listing every problem with its line, indicator and what is wrong.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from surveyapp.analysis.plan import KINDS, SCORE_PRESETS, Indicator, Plan, QualityRules, WaveSpec, Weighting
from surveyapp.questionnaire.errors import Problem, QuestionnaireError
from surveyapp.questionnaire.compiled import repeat_members
from surveyapp.questionnaire.schema import Questionnaire
from surveyapp.questionnaire.yaml_source import parse_document

CHOICE_TYPES = {"rate": ("select_one", "select_multiple"), "top2": ("select_one",), "score": ("select_one",)}
TOP_LEVEL = {"form_id", "non_substantive", "ranking", "suppress_below", "quality", "weighting", "waves", "indicators"}
INDICATOR_KEYS = {"name", "kind", "label", "description", "question", "positive", "any_of", "exclude", "scores",
                  "components", "numerator", "denominator", "per", "higher_is_better"}


def load_plan_file(path: str | Path, form: Questionnaire) -> Plan:
    """Read and check the plan in ``path`` against ``form``.

    :raises QuestionnaireError: listing every problem with its line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionnaireError([Problem(path.name, "", "unreadable", {"detail": str(exc)})]) from None
    return build_plan(parse_document(text, path.name), path.name, form)


def build_plan(doc: dict[str, Any], source: str, form: Questionnaire) -> Plan:
    """Check a parsed plan document against the questionnaire and build the Plan."""
    checker = _Checker(source, form)
    plan = checker.plan(doc)
    if checker.problems:
        raise QuestionnaireError(checker.problems)
    return plan


class _Checker:
    """Builds a Plan while collecting every problem, each with its line."""

    def __init__(self, source: str, form: Questionnaire):
        self.source, self.form = source, form
        self.problems: list[Problem] = []

    def add(self, where: Any, code: str, subject: str | None = None, about: str = "indicator", **params: Any) -> None:
        """Record a problem at ``where``'s line about ``subject`` (an indicator, wave, margin…)."""
        self.problems.append(Problem(self.source, f"line {getattr(where, 'line', 0)}", code, params, subject, about))

    def plan(self, doc: dict[str, Any]) -> Plan:
        for key in doc:
            if key not in TOP_LEVEL:
                self.add(doc, "unknown_key", key=key)
        form_id = str(doc.get("form_id") or "")
        if form_id != self.form.form_id:
            self.add(doc, "plan_form_mismatch", plan=form_id, form=self.form.form_id)
        non_substantive = tuple(str(c) for c in doc.get("non_substantive", ("9",)))
        ranking = doc.get("ranking") or {}
        indicators = self.indicators(doc.get("indicators") or [], non_substantive, doc)
        return Plan(form_id, indicators, self.waves(doc.get("waves") or [], doc), non_substantive,
                    self.number(ranking, "min_n", 30, minimum=1), self.number(doc, "suppress_below", 5, minimum=0),
                    self.quality(doc.get("quality") or {}), self.weighting(doc.get("weighting") or {}))

    def number(self, mapping: Any, key: str, default: float, minimum: float = 0, integer: bool = True) -> Any:
        value = mapping.get(key, default) if isinstance(mapping, dict) else default
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= minimum
        if ok and (not integer or float(value).is_integer()):
            return int(value) if integer else float(value)
        self.add(mapping, "plan_bad_value", key=key, value=value, reason=f">= {minimum}")
        return default

    def quality(self, data: dict[str, Any]) -> QualityRules:
        seconds = data.get("speeder_seconds")
        return QualityRules(
            speeder_ratio=self.number(data, "speeder_ratio", 0.3, integer=False),
            speeder_seconds=None if seconds is None else self.number(data, "speeder_seconds", 0, integer=False),
            straightline_min_items=self.number(data, "straightline_min_items", 4, minimum=2),
            exclude_flagged=bool(data.get("exclude_flagged", True)))

    def weighting(self, data: Any) -> Weighting:
        if not isinstance(data, dict):
            self.add(data, "not_a_mapping")
            return Weighting()
        for key in data:
            if key not in ("margins", "trim_upper", "strata", "cluster"):
                self.add(data, "unknown_key", key=key)
        margins = {}
        for name, counts in (data.get("margins") or {}).items():
            margins[str(name)] = self.margin(data, str(name), counts)
        trim = data.get("trim_upper")
        columns = {key: self.column(data, data.get(key)) for key in ("strata", "cluster")}
        return Weighting(margins, None if trim is None else self.number(data, "trim_upper", 5, minimum=1,
                                                                        integer=False), **columns)

    def margin(self, where: Any, name: str, counts: Any) -> dict[str, float]:
        """{code: population count} of one margin, checked against the question's choices."""
        if not isinstance(counts, dict) or not counts:
            self.add(where, "plan_missing_key", name, "margin", key=name)
            return {}
        codes = self.codes_of(where, name)
        out = {}
        for code, count in counts.items():
            if codes is not None and str(code) not in codes:
                self.add(where, "plan_unknown_code", name, "margin", name=name, value=code)
            elif not isinstance(count, (int, float)) or isinstance(count, bool) or count <= 0:
                self.add(where, "plan_bad_value", name, "margin", key=str(code), value=count, reason="> 0")
            else:
                out[str(code)] = float(count)
        return out

    def codes_of(self, where: Any, name: str) -> set[str] | None:
        """The codes a margin may use: the channels for _channel, else the question's choices."""
        if name == "_channel":
            return {c.code for c in self.form.channels}
        question = self.form.question(name)
        if question is None or question.type != "select_one":
            self.add(where, "plan_unknown_question", name, "margin", name=name)
            return None
        return {c.value for c in self.form.choices.get(question.list_name or "", ())}

    def column(self, where: Any, name: Any) -> str | None:
        if name is None:
            return None
        if str(name) != "_channel" and self.form.question(str(name)) is None:
            self.add(where, "plan_unknown_question", str(name), "question", name=name)
        return str(name)

    def waves(self, items: list[Any], doc: Any) -> tuple[WaveSpec, ...]:
        waves: list[WaveSpec] = []
        for item in items if isinstance(items, list) else []:
            wave = self.wave(item)
            if wave is None:
                continue
            clash = next((w for w in waves if w.name == wave.name), None)
            overlap = next((w for w in waves if wave.start <= w.end and w.start <= wave.end), None)
            if clash:
                self.add(item, "plan_duplicate", wave.name, "wave", name=wave.name)
            elif overlap:
                self.add(item, "plan_overlapping_waves", wave.name, "wave", name=wave.name, other=overlap.name)
            else:
                waves.append(wave)
        return tuple(waves)

    def wave(self, item: Any) -> WaveSpec | None:
        if not isinstance(item, dict) or not item.get("name"):
            self.add(item, "plan_missing_key", key="name")
            return None
        name = str(item["name"])
        start, end = parse_day(item.get("start")), parse_day(item.get("end"))
        if start is None or end is None or end < start:
            self.add(item, "plan_bad_dates", name, "wave")
            return None
        return WaveSpec(name, start, end)

    def indicators(self, items: list[Any], non_substantive: tuple[str, ...], doc: Any) -> tuple[Indicator, ...]:
        built: dict[str, tuple[Indicator, Any]] = {}
        for item in items if isinstance(items, list) else []:
            indicator = self.indicator(item, non_substantive)
            if indicator is None:
                continue
            if indicator.name in built:
                self.add(item, "plan_duplicate", indicator.name, name=indicator.name)
                continue
            built[indicator.name] = (indicator, item)
        for indicator, item in built.values():
            for component in indicator.components:
                target = built.get(component, (None,))[0]
                if target is None or target.kind in ("composite", "admin"):
                    self.add(item, "plan_unknown_indicator", indicator.name, name=component)
        return tuple(indicator for indicator, _ in built.values())

    def indicator(self, item: Any, non_substantive: tuple[str, ...]) -> Indicator | None:
        if not isinstance(item, dict):
            self.add(item, "not_a_mapping")
            return None
        name = str(item.get("name") or "")
        for key in item:
            if key not in INDICATOR_KEYS:
                self.add(item, "unknown_key", name or None, key=key)
        kind = item.get("kind")
        if not name or kind not in KINDS:
            self.add(item, "plan_missing_key" if not name else "plan_bad_value", name or None,
                     key="name" if not name else "kind", value=kind, reason=" / ".join(KINDS))
            return None
        label = item.get("label") or {"zh": name}
        label = label if isinstance(label, dict) else {"zh": str(label)}
        fields = {"name": name, "kind": kind, "label": {str(k): str(v) for k, v in label.items()},
                  "higher_is_better": bool(item.get("higher_is_better", True)),
                  "description": item.get("description") or {}}
        if kind in CHOICE_TYPES:
            fields.update(self.choice_fields(item, name, kind, non_substantive))
        elif kind == "composite":
            fields["components"] = self.components(item, name)
        else:
            fields.update(self.admin_fields(item, name))
        return Indicator(**fields)

    def choice_fields(self, item: dict, name: str, kind: str, non_substantive: tuple[str, ...]) -> dict[str, Any]:
        question = self.form.question(str(item.get("question") or ""))
        if question is None:
            self.add(item, "plan_unknown_question", name, name=item.get("question"))
            return {}
        if question.type not in CHOICE_TYPES[kind]:
            self.add(item, "plan_wrong_type", name, name=question.name, type=question.type, kind=kind)
            return {}
        codes = [c.value for c in self.form.choices.get(question.list_name or "", ())]
        out: dict[str, Any] = {"question": question.name, "roster": repeat_members(self.form).get(question.name)}
        for key in ("positive", "any_of", "exclude"):
            values = item.get(key, non_substantive if key == "exclude" else ())
            values = tuple(str(v) for v in (values if isinstance(values, list | tuple) else [values]))
            for value in values:
                if value not in codes and not (key == "exclude" and value in non_substantive):
                    self.add(item, "plan_unknown_code", name, name=question.name, value=value)
            out[key] = values
        substantive = [c for c in codes if c not in out["exclude"]]
        if kind == "top2":
            out["positive"] = tuple(substantive[:2])
        elif kind == "score":
            out["scores"] = self.scores(item, name, substantive)
        elif not out["positive"] and not out["any_of"]:
            self.add(item, "plan_missing_key", name, key="positive" if question.type == "select_one" else "any_of")
        return out

    def scores(self, item: dict, name: str, substantive: list[str]) -> dict[str, float]:
        scores = item.get("scores", "linear")
        if isinstance(scores, dict):
            mapped = {str(k): v for k, v in scores.items()}
            bad = [k for k, v in mapped.items() if k not in substantive or not isinstance(v, (int, float))]
            for key in bad:
                self.add(item, "plan_bad_value", name, key="scores", value=key, reason="code: 0..100")
            return {k: float(v) for k, v in mapped.items() if k not in bad}
        preset = SCORE_PRESETS.get(str(scores))
        if preset is None or len(preset) != len(substantive):
            self.add(item, "plan_bad_value", name, key="scores", value=scores,
                     reason=f"{' / '.join(SCORE_PRESETS)} ({len(substantive)} codes)")
            return {}
        return dict(zip(substantive, (float(v) for v in preset)))

    def components(self, item: dict, name: str) -> dict[str, float]:
        components = item.get("components")
        if not isinstance(components, dict) or not components:
            self.add(item, "plan_missing_key", name, key="components")
            return {}
        weights = {str(k): v for k, v in components.items()}
        for key, weight in weights.items():
            if not isinstance(weight, (int, float)) or isinstance(weight, bool):
                self.add(item, "plan_bad_value", name, key=key, value=weight, reason="a number")
        return {k: float(v) for k, v in weights.items() if isinstance(v, (int, float))}

    def admin_fields(self, item: dict, name: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("numerator", "denominator"):
            if not item.get(key):
                self.add(item, "plan_missing_key", name, key=key)
            out[key] = str(item.get(key) or "")
        out["per"] = self.number(item, "per", 1.0, minimum=0, integer=False) or 1.0
        return out


def parse_day(value: Any) -> dt.date | None:
    """A date from YAML (already a date) or text YYYY-MM-DD; None when invalid."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None
