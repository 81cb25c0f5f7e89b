"""Build a 调研报告 (a ``Report`` document) from a dataset, its analysis plan and a layout.

The builder walks the layout's sections; each block kind (``indicators``, ``ranking``,
``mentions`` …) computes its statistics with the analysis layer and writes sentences and
tables from them. Every number in a sentence also stands in a table of the report, and
every finding that a rule turns into a problem is recorded with the sentence that states
it, so that problems and suggestions cite their evidence.

The block kinds live beside it: ``blocks_results`` (调研结果), ``blocks_findings`` (problems,
causes, suggestions, conclusion) and ``blocks_appendix`` (method and appendices).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from surveyapp.analysis.frame import Dataset
from surveyapp.analysis.indicators import estimate
from surveyapp.analysis.plan import Indicator, Plan
from surveyapp.analysis.sample import prepare
from surveyapp.questionnaire.messages import pick
from surveyapp.questionnaire.schema import Questionnaire
from surveyapp.reporting import wording as w
from surveyapp.reporting.blocks_appendix import AppendixBlocks
from surveyapp.reporting.blocks_findings import Finding, FindingBlocks
from surveyapp.reporting.blocks_results import ResultBlocks
from surveyapp.reporting.document import Block, Figure, Paragraph, Report, Section, Table, heading_label
from surveyapp.reporting.layout import Layout
from surveyapp.reporting.sentences import period_name, plain_label


@dataclass(frozen=True)
class ReportRequest:
    """What to report on: the data, its plan and questionnaire, the layout and the filters."""

    dataset: Dataset
    plan: Plan
    form: Questionnaire
    layout: Layout
    wave: str | None = None
    compare_with: str | None = None
    channels: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    inputs: pd.DataFrame | None = None
    """Administrative inputs (unit, period, measure, value) for ``admin`` blocks."""


class _Builder(ResultBlocks, FindingBlocks, AppendixBlocks):
    """Builds the sections in order, numbering tables and figures as they appear."""

    def __init__(self, request: ReportRequest):
        self.r = request
        self.plan = request.plan if request.layout.min_n is None else \
            dataclasses.replace(request.plan, min_n=request.layout.min_n)
        frame = request.dataset.frame
        self.received = self._wave_frame(frame, request.wave)
        self.sample = prepare(self.received, self.plan, request.dataset.batteries(), request.dataset.rosters)
        previous = self._wave_frame(frame, request.compare_with) if request.compare_with else None
        self.previous = prepare(previous, self.plan, request.dataset.batteries(), request.dataset.rosters) \
            if previous is not None else None
        self.tables = self.figures = 0
        self.findings: dict[str, Finding] = {}
        self.estimates: dict[str, Any] = {}
        self.channel_names = {c.code: pick(c.label, "zh") for c in request.form.channels}
        self.t = request.layout.terms
        self.context = self._context()

    # --- inputs ------------------------------------------------------------------------

    def _wave_frame(self, frame: pd.DataFrame, wave: str | None) -> pd.DataFrame:
        if wave:
            frame = frame[(frame["_wave"] == wave).fillna(False).to_numpy()]
        if self.r.channels:
            frame = frame[frame["_channel"].isin(self.r.channels).fillna(False).to_numpy()]
        return frame.reset_index(drop=True)

    def _context(self) -> dict[str, str]:
        study = self.r.form.study
        return {"organisation": study.organisation, "purpose": study.purpose.rstrip("。"),
                "population": study.population.rstrip("。"), "period": period_name(self.r.wave, self.received),
                "previous": period_name(self.r.compare_with, None) if self.r.compare_with else "上期",
                "valid": w.count(len(self.sample.frame)), "received": w.count(len(self.received))}

    def fill(self, template: str) -> str:
        """A layout text with its placeholders filled; YAML line folds between Chinese characters removed."""
        text = template.format_map(self.context).replace("\n", "")
        cjk = "\u3000-\u9fff\uff00-\uffef"
        return re.sub(rf"(?<=[{cjk}])\s+(?=[{cjk}0-9])|(?<=[0-9])\s+(?=[{cjk}])", "", text)

    # --- the document ------------------------------------------------------------------

    def report(self) -> Report:
        sections = tuple(self.section(spec, 1, i) for i, spec in enumerate(self.r.layout.sections, 1))
        appendices = tuple(self.section(spec, 1, i, appendix=True)
                           for i, spec in enumerate(self.r.layout.appendices, 1))
        meta = {**self.r.meta, "n_received": len(self.received), "n_valid": len(self.sample.frame),
                "wave": self.r.wave, "compare_with": self.r.compare_with, "channels": list(self.r.channels),
                "layout": self.r.layout.name, "quality": self.sample.quality, "weighting": self.sample.weighting}
        return Report(self.fill(self.r.layout.title), self.fill(self.r.layout.subtitle),
                      (Paragraph(self.fill(self.r.layout.preface), kind="lead"),), sections, appendices,
                      self.r.form.study.organisation, self.r.meta.get("date", ""), meta)

    def section(self, spec: dict, depth: int, index: int, appendix: bool = False) -> Section:
        label = f"附件{index}" if appendix else heading_label(depth, index)
        blocks: list[Block] = []
        children: list[Section] = []
        for block in spec.get("blocks") or []:
            kind, argument = (block, None) if isinstance(block, str) else next(iter(block.items()))
            if kind == "suggestions":      # one numbered subsection per suggestion
                children += self.suggestion_sections(depth + 1)
            else:
                blocks += getattr(self, f"block_{kind}")(argument)
        children += [self.section(child, depth + 1, i)
                     for i, child in enumerate(spec.get("children") or [], len(children) + 1)]
        return Section(_key(spec["title"]), spec["title"], tuple(blocks), tuple(children), label)

    def table(self, key: str, caption: str, header: tuple[str, ...], rows: list[tuple[str, ...]],
              notes: tuple[str, ...] = (), numeric: tuple[bool, ...] = ()) -> Table:
        self.tables += 1
        return Table(key, caption, header, tuple(rows), notes, numeric, self.tables)

    def figure(self, key: str, caption: str, png: bytes, alt: str) -> Figure:
        self.figures += 1
        return Figure(key, caption, png, alt, number=self.figures)

    # --- blocks ------------------------------------------------------------------------

    def block_text(self, template: str) -> list[Block]:
        return [Paragraph(self.fill(template))]

    # --- helpers -----------------------------------------------------------------------

    def estimate(self, indicator: Indicator):
        if indicator.name not in self.estimates:
            self.estimates[indicator.name] = estimate(indicator, self.sample, self.plan)
        return self.estimates[indicator.name]

    def _exclusive(self, name: str) -> set[str]:
        question = self.r.form.question(name)
        return {c.value for c in self.r.form.choices.get(question.list_name or "", ()) if c.exclusive} if question else set()

    def _codes(self, name: str) -> list[str]:
        """Categories in questionnaire order (channels in declaration order)."""
        if name == "_channel":
            return list(self.channel_names)
        return list(self.r.dataset.variables[name].codes)

    def _question_label(self, name: str) -> str:
        if name == "_channel":
            return self.t["unit"]
        return re.sub(r"^[A-Z]\d+[a-z]?\s*", "", plain_label(self.r.dataset.variables[name].label))

    def _choice_label(self, name: str, code: str) -> str:
        if name == "_channel":
            return self.channel_names.get(code, code)
        return self.r.dataset.variables[name].choice_label(code)


def _key(title: str) -> str:
    return re.sub(r"\W+", "_", title).strip("_")


def build_report(request: ReportRequest) -> Report:
    """The whole report for ``request``."""
    return _Builder(request).report()
