"""Problems, causes, suggestions and the conclusion: the layout's rules applied to the findings
the result blocks recorded, each citing the sentence that states its finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from surveyapp.questionnaire.messages import pick
from surveyapp.reporting import wording as w
from surveyapp.reporting.document import Block, ItemList, Paragraph, Section, heading_label
from surveyapp.reporting.layout import Rule


@dataclass
class Finding:
    """A statement of the results that a rule may turn into a problem."""

    indicator: str
    text: str
    estimate: float
    brief: str = ""
    """The finding in a few words, as a suggestion cites it ("见警率为54.9%")."""
    n: int = 0
    """Valid answers behind the estimate (0 when not recorded)."""


class FindingBlocks:
    """Block kinds of ``_Builder`` (see reporting/build.py); ``self`` is the builder."""

    def fired(self) -> list[tuple[Rule, Finding]]:
        """The layout's rules whose conditions hold, each with the finding it answers."""
        out = []
        weakest = self._weakest()
        for rule in self.r.layout.rules:
            finding = self.findings.get(rule.indicator)
            if rule.weakest is not None:
                finding = finding if rule.indicator in weakest[:rule.weakest] else None
            elif rule.fell:
                finding = self.findings.get(f"{rule.indicator}:fell")
            elif rule.bottom_unit:
                finding = self.findings.get(f"{rule.indicator}:bottom")
            elif finding is None or not (
                    (rule.below is not None and finding.estimate < rule.below)
                    or (rule.above is not None and finding.estimate > rule.above)):
                finding = None
            if finding is not None:
                out.append((rule, finding))
        return out

    def _weakest(self) -> list[str]:
        """Indicators named by ``weakest`` rules, lowest first, that are below the group's mean.

        Only estimates with at least the ranking's minimum n take part, and only when more of
        them stand than the rule picks (the weakest of two is no finding)."""
        names = list(dict.fromkeys(r.indicator for r in self.r.layout.rules if r.weakest is not None))
        found = [self.findings[n] for n in names if n in self.findings and self.findings[n].n >= self.plan.min_n]
        largest = max((r.weakest for r in self.r.layout.rules if r.weakest is not None), default=0)
        if len(found) <= largest:
            return []
        average = sum(f.estimate for f in found) / len(found)
        return [f.indicator for f in sorted(found, key=lambda f: f.estimate) if f.estimate < average]

    def block_problems(self, _argument: Any) -> list[Block]:
        fired = self.fired()
        if not fired:
            return [Paragraph("从本次调查结果看，各项指标未触及预设的问题阈值，未发现突出问题。")]
        items = [f"{rule.problem}。{_sentence(finding.text)}" for rule, finding in fired]
        return [Paragraph("结合调查数据，当前工作中存在以下主要问题："),
                ItemList(tuple(w.enumerate_points(items)), ordered=False)]

    def block_causes(self, _argument: Any) -> list[Block]:
        fired = self.fired()
        if not fired:
            return [Paragraph("本期未发现需要专门分析原因的突出问题。")]
        items = [rule.cause for rule, _ in fired]
        return [Paragraph("结合调查结果和日常工作情况分析，上述问题的可能原因主要有："),
                ItemList(tuple(w.enumerate_points(items)), ordered=False)]

    def suggestion_sections(self, depth: int) -> tuple[Section, ...]:
        sections = []
        for index, (rule, finding) in enumerate(self.fired(), 1):
            suggestion = rule.suggestion
            goal = suggestion.get("goal")
            if goal is None and isinstance(suggestion.get("gain"), (int, float)):
                goal = _goal(finding.estimate, float(suggestion["gain"]))
            target = suggestion.get("target", "").format(goal=w.pct(goal) if isinstance(goal, float) and goal <= 1
                                                          else goal)
            text = f"针对{finding.brief or _clause(finding.text)}的情况，{suggestion['action']}。{target}。"
            sections.append(Section(f"suggestion_{index}", suggestion["title"], (Paragraph(text),), (),
                                    heading_label(depth, index)))
        if not sections:
            sections.append(Section("suggestion_keep", "巩固现有工作成效",
                                    (Paragraph("建议保持现有工作力度，持续开展调查，跟踪各项指标变化。"),), (),
                                    heading_label(depth, 1)))
        return tuple(sections)

    def block_conclusion(self, _argument: Any) -> list[Block]:
        headline = [n for n in self.r.layout.headline if n in self.findings]
        parts = [f"{pick(self.plan.indicator(n).label, 'zh')}为"
                 f"{(w.pct if self.plan.indicator(n).on_percent_scale else w.points)(self.findings[n].estimate)}"
                 for n in headline]
        fired = self.fired()
        text = f"本次调查共获得有效问卷{self.context['valid']}份。"
        text += ("调查结果显示，" + "，".join(parts) + "。") if parts else ""
        if fired:
            text += f"调查同时发现{len(fired)}个方面的问题，建议针对上述问题落实整改措施，并在下一期调查中跟踪检验成效。"
        else:
            text += "建议保持现有工作力度，并在下一期调查中继续跟踪各项指标。"
        return [Paragraph(text)]


def _goal(estimate: float, gain: float) -> float:
    """A target ``gain`` above the finding, on a whole percentage, never above 99%."""
    return min(0.99, math.ceil((estimate + gain) * 100 - 1e-9) / 100)


def _sentence(text: str) -> str:
    return text if text.endswith("。") else text + "。"


def _clause(text: str) -> str:
    return text.rstrip("。；")
