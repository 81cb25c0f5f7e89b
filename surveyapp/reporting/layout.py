"""Report layouts: the YAML files (bundled in ``surveyapp/reporting/layouts/``, the researchers' own in
the configured layouts folder) that say which sections a report has, in
which order, what each shows, and which rules turn findings into problems and suggestions.

A layout is data, not code: a researcher edits titles, order and wording there. This
module reads one and checks that every block kind, indicator and question it names exists,
reporting each problem with its file and line like a questionnaire file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from surveyapp.analysis.plan import Plan
from surveyapp.questionnaire.errors import Problem, QuestionnaireError
from surveyapp.questionnaire.schema import Questionnaire
from surveyapp.questionnaire.yaml_source import parse_document

LAYOUTS = Path(__file__).resolve().parent / "layouts"
"""The bundled layouts, with the HTML template and CSS; package data, so a wheel install has them."""

# Words a layout may change: what a unit (channel) is, what the whole is, who answers, what is counted.
DEFAULT_TERMS = {"unit": "社区", "whole": "全区", "respondent": "受访者", "count": "人数", "opinions": "群众意见建议"}

# Block kinds and the argument each takes: none, indicator names, a question, ...
BLOCK_KINDS = {"text", "method", "admin", "numeric", "subgroups", "composition", "indicators", "ranking", "mentions", "matrix", "league",
               "themes", "problems", "causes", "suggestions", "conclusion", "indicator_table", "definitions",
               "questionnaire"}


@dataclass(frozen=True)
class Rule:
    """When a finding becomes a problem, with its cause and suggestion."""

    indicator: str
    problem: str
    cause: str
    suggestion: dict[str, Any]
    below: float | None = None
    above: float | None = None
    fell: bool = False
    bottom_unit: bool = False
    weakest: int | None = None
    """Fires when the indicator is among the ``weakest`` lowest of the indicators whose rules say
    ``weakest`` (each with at least the ranking's minimum n), below their mean."""


@dataclass(frozen=True)
class Layout:
    """A parsed layout: its sections (as plain nested dicts) and rules."""

    name: str
    form_id: str
    title: str
    subtitle: str
    preface: str
    sections: tuple[dict[str, Any], ...]
    appendices: tuple[dict[str, Any], ...]
    rules: tuple[Rule, ...] = ()
    source: str = field(default="", compare=False)
    terms: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TERMS))
    headline: tuple[str, ...] = ()
    min_n: int | None = None
    """Overrides the plan's minimum n for rankings (100 is recommended for officer evaluation)."""


def layout_path(name: str, directories: Sequence[Path] | Path | None = None) -> Path:
    """The file of layout ``name`` in the first of ``directories`` holding it (default: the bundled folder).

    (e.g. community_policing -> layouts/community_policing.yaml); a path in the first folder when none has it.
    """
    folders = _folders(directories)
    for folder in folders:
        if (folder / f"{name}.yaml").exists():
            return folder / f"{name}.yaml"
    return folders[0] / f"{name}.yaml"


def available_layouts(form_id: str, directories: Sequence[Path] | Path | None = None) -> list[str]:
    """Names of the layouts written for questionnaire ``form_id``, the first folder's before the next's."""
    names: list[str] = []
    for folder in _folders(directories):
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
            doc = parse_document(path.read_text(encoding="utf-8"), path.name)
            if doc.get("form_id") == form_id and path.stem not in names:
                names.append(path.stem)
    return names


def _folders(directories: Sequence[Path] | Path | None) -> list[Path]:
    if directories is None:
        return [LAYOUTS]
    return [Path(directories)] if isinstance(directories, (str, Path)) else [Path(d) for d in directories]


def load_layout(path: Path, form: Questionnaire, plan: Plan) -> Layout:
    """Read and check a layout file against the questionnaire and its analysis plan.

    :raises QuestionnaireError: listing every problem with its line.
    """
    return layout_from_document(parse_document(path.read_text(encoding="utf-8"), path.name), path.name, form, plan)


def layout_from_document(doc: dict, source: str, form: Questionnaire, plan: Plan) -> Layout:
    """Check a parsed layout document (from a file or derived from the questionnaire) and build it."""
    problems: list[Problem] = []
    checker = _Checker(source, form, plan, problems)
    for section in list(doc.get("sections") or []) + list(doc.get("appendices") or []):
        checker.section(section)
    rules = tuple(checker.rule(item) for item in doc.get("rules") or [])
    terms = {**DEFAULT_TERMS, **{str(k): str(v) for k, v in (doc.get("terms") or {}).items()}}
    headline = tuple(str(n) for n in doc.get("headline") or ())
    for name in headline:
        if name not in checker.indicators:
            checker.add(doc, "plan_unknown_indicator", name=name)
    if problems:
        raise QuestionnaireError(problems)
    return Layout(str(doc.get("name") or Path(source).stem), str(doc.get("form_id") or ""),
                  str(doc.get("title") or ""), str(doc.get("subtitle") or ""), str(doc.get("preface") or ""),
                  tuple(doc.get("sections") or ()), tuple(doc.get("appendices") or ()),
                  tuple(r for r in rules if r is not None), source, terms, headline, _min_n(doc))


def _min_n(doc: dict) -> int | None:
    value = (doc.get("ranking") or {}).get("min_n")
    return int(value) if isinstance(value, int) and value > 0 else None


class _Checker:
    def __init__(self, source: str, form: Questionnaire, plan: Plan, problems: list[Problem]):
        self.source, self.form, self.plan, self.problems = source, form, plan, problems
        self.indicators = {i.name for i in plan.indicators}

    def add(self, where: Any, code: str, **params: Any) -> None:
        self.problems.append(Problem(self.source, f"line {getattr(where, 'line', 0)}", code, params))

    def section(self, section: Any) -> None:
        if not isinstance(section, dict) or not section.get("title"):
            self.add(section, "plan_missing_key", key="title")
            return
        for block in section.get("blocks") or []:
            self.block(section, block)
        for child in section.get("children") or []:
            self.section(child)

    def block(self, section: dict, block: Any) -> None:
        kind, argument = (block, None) if isinstance(block, str) else next(iter(block.items()), (None, None))
        if kind not in BLOCK_KINDS:
            self.add(section, "plan_bad_value", key="blocks", value=kind, reason=" / ".join(sorted(BLOCK_KINDS)))
            return
        if kind == "mentions" and isinstance(argument, dict):
            argument = argument.get("question")
        names = argument if isinstance(argument, list) else [argument] if isinstance(argument, str) else []
        if kind == "admin" and isinstance(argument, dict):
            names = [argument.get("indicator")]
        if kind == "subgroups" and isinstance(argument, dict):
            names = list(argument.get("indicators") or [])
            for question in (b["question"] if isinstance(b, dict) else b for b in argument.get("by") or []):
                if self.form.question(question) is None:
                    self.add(section, "plan_unknown_question", name=question)
        if kind in ("indicators", "ranking", "league", "admin"):
            for name in names:
                if name not in self.indicators:
                    self.add(section, "plan_unknown_indicator", name=name)
        elif kind == "themes" and isinstance(argument, dict):
            names = list(argument.get("questions") or [])
        if kind in ("composition", "numeric"):
            names = [n["question"] if isinstance(n, dict) else n for n in names]
        if kind in ("mentions", "composition", "themes", "numeric"):
            for name in names:
                if name != "_channel" and self.form.question(name) is None:
                    self.add(section, "plan_unknown_question", name=name)

    def rule(self, item: Any) -> Rule | None:
        if not isinstance(item, dict) or item.get("indicator") not in self.indicators:
            self.add(item, "plan_unknown_indicator", name=(item or {}).get("indicator") if isinstance(item, dict) else item)
            return None
        for key in ("problem", "cause", "suggestion"):
            if not item.get(key):
                self.add(item, "plan_missing_key", key=key)
                return None
        weakest = item.get("weakest")
        if weakest is not None and (not isinstance(weakest, int) or isinstance(weakest, bool) or weakest < 1):
            self.add(item, "plan_bad_value", key="weakest", value=weakest, reason=">= 1")
            weakest = None
        return Rule(item["indicator"], str(item["problem"]), str(item["cause"]), dict(item["suggestion"]),
                    item.get("below"), item.get("above"), bool(item.get("fell")), bool(item.get("bottom_unit")),
                    weakest)
