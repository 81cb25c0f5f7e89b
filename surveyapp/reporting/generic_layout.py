"""The layout of a 调研报告 for a questionnaire nobody wrote a layout for.

``derive_layout`` reads the questionnaire and its (derived or written) plan and returns a
layout document, the same mapping a layout file holds, so that ``questionnaire scaffold``
can write it out for the researcher to edit. The report has the sections of the genre:
调研基本情况 (background, method, sample), 调研结果 with one part per page of the
questionnaire, 存在的主要问题 / 原因分析 / 对策建议 from rules that look at the data (the
weakest evaluations, significant falls, the unit at the bottom of the ranking), 结论 and the
appendices. Causes are worded as matters to verify: the questionnaire does not ask why.
"""

from __future__ import annotations

import re
from typing import Any

from surveyapp.analysis.derived_plan import Measure, describe, likert_rates
from surveyapp.analysis.plan import Plan
from surveyapp.questionnaire.messages import pick
from surveyapp.questionnaire.schema import Group, Questionnaire, Repeat

WEAKEST = 3
"""How many of the lowest evaluations the problems name at most."""
GAIN = 0.05
"""Suggested targets: five percentage points above the current rate."""
HEADLINE = 4
LEAGUE = 6
TERMS = {"unit": "调查点", "whole": "总体", "respondent": "受访者", "count": "人数", "opinions": "受访者意见建议"}
"""A channel of a questionnaire we know nothing about is a survey site (a community, campus, unit…)."""


def derive_layout(form: Questionnaire, plan: Plan) -> dict[str, Any]:
    """A layout document for ``form`` (see the module docstring)."""
    measures = describe(form)
    rates = likert_rates(form, plan)
    by_question: dict[str, list[str]] = {}
    for indicator in plan.indicators:
        by_question.setdefault(indicator.question or "", []).append(indicator.name)
    topic = _topic(pick(form.title, "zh") or form.form_id)
    doc: dict[str, Any] = {
        "name": f"{form.form_id}_generic",
        "form_id": form.form_id,
        "title": f"{{organisation}}{{period}}{_escape(topic)}调研报告",
        "subtitle": "——基于{valid}份有效问卷的分析",
        "terms": dict(TERMS),
        "headline": [i.name for i in rates[:HEADLINE]],
        "preface": _preface(form, topic),
        "sections": [_basics(form, measures), _results(form, plan, measures, by_question, rates),
                     {"title": "存在的主要问题", "blocks": ["problems"]},
                     {"title": "原因分析", "blocks": ["causes"]},
                     {"title": "对策建议", "blocks": ["suggestions"]},
                     {"title": "结论", "blocks": ["conclusion"]}],
        "appendices": [{"title": "主要指标统计表", "blocks": ["indicator_table"]},
                       {"title": "指标口径与计算方法说明", "blocks": ["definitions"]},
                       {"title": "调查问卷", "blocks": ["questionnaire"]}],
        "rules": _rules(plan, rates, len(form.channels) > 1),
    }
    return doc


def _topic(title: str) -> str:
    """What the survey is about, from its title ("校园安全状况调查问卷" -> "校园安全状况")."""
    return re.sub(r"(调查问卷|调研问卷|问卷调查|问卷|调查表|调查)$", "", title.strip()) or title


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _preface(form: Questionnaire, topic: str) -> str:
    study = form.study
    who = "{organisation}" if study.organisation else "我们"
    aim = "为{purpose}，" if study.purpose else f"为了解{_escape(topic)}的有关情况，"
    return f"{aim}{who}于{{period}}组织开展了问卷调查。现将调查情况报告如下。"


def _basics(form: Questionnaire, measures: list[Measure]) -> dict[str, Any]:
    study = form.study
    background = "本次调研旨在{purpose}。" if study.purpose else \
        f"本次调研围绕{_escape(_topic(pick(form.title, 'zh') or form.form_id))}开展，了解受访者的感受、评价和意见建议。"
    if study.population:
        background += "调查对象为{population}。"
    children = [{"title": "调研目的与背景", "blocks": [{"text": background}]},
                {"title": "调研方法", "blocks": ["method"]}]
    sample: list[Any] = [{"question": m.question, "label": m.topic} for m in measures if m.kind == "category"]
    if len(form.channels) > 1:
        sample = ["_channel", *sample]
    if sample:
        children.append({"title": "样本构成", "blocks": [{"composition": sample}]})
    return {"title": "调研基本情况", "children": children}


def _results(form: Questionnaire, plan: Plan, measures: list[Measure], by_question: dict[str, list[str]],
             rates) -> dict[str, Any]:
    groups = {item.name: item for item in form.items if isinstance(item, (Group, Repeat))}
    pages: dict[str, list[Any]] = {}
    opens: list[str] = []
    for measure in measures:
        blocks = pages.setdefault(measure.group, [])
        if measure.kind in ("likert", "yesno"):
            _append(blocks, "indicators", by_question.get(measure.question, []))
        elif measure.kind == "multiple":
            blocks.append({"mentions": {"question": measure.question, "label": measure.topic}})
        elif measure.kind == "number":
            _append(blocks, "numeric", [{"question": measure.question, "label": measure.topic}])
        elif measure.kind == "open":
            opens.append(measure.question)
    children = [{"title": pick(groups[name].label, "zh") if name in groups else "其他调查结果", "blocks": blocks}
                for name, blocks in pages.items() if blocks]
    if len(form.channels) > 1 and rates:
        blocks = [{"ranking": rates[0].name}]
        if len(rates) > 1:
            blocks.append({"league": [i.name for i in rates[:LEAGUE]]})
        children.append({"title": f"各{TERMS['unit']}比较", "blocks": blocks})
    if opens:
        children.append({"title": "意见建议", "blocks": [{"themes": {"questions": opens}}]})
    return {"title": "调研结果", "children": children or [{"title": "调查结果", "blocks": ["indicator_table"]}]}


def _append(blocks: list[Any], kind: str, items: list[Any]) -> None:
    """Add ``items`` to the block before when it is of the same kind (one table for a run of items)."""
    if not items:
        return
    if blocks and isinstance(blocks[-1], dict) and kind in blocks[-1]:
        blocks[-1][kind].extend(items)
    else:
        blocks.append({kind: list(items)})


def _rules(plan: Plan, rates, units: bool) -> list[dict[str, Any]]:
    """Weakest evaluations and significant falls for every Likert rate; the bottom site for the first."""
    rules: list[dict[str, Any]] = []
    for indicator in rates:
        label = pick(indicator.label, "zh")
        rules.append(_rule(indicator.name, {"weakest": WEAKEST}, f"{label}在本次调查的各项评价中处于较低水平",
                           f"{label}偏低的具体原因，问卷没有直接询问，需结合座谈走访、工作台账等进一步核实",
                           f"针对薄弱环节改进，提升{label}",
                           "建议相关责任部门围绕该项工作查找短板，制定改进措施，明确责任人和完成时限",
                           f"力争下一期{label}提升至{{goal}}以上"))
    for indicator in rates:
        label = pick(indicator.label, "zh")
        rules.append(_rule(indicator.name, {"fell": True}, f"{label}较上期明显下降",
                           f"{label}下降的原因需对照两期之间的工作变化进一步核实", f"查找{label}下降原因，尽快扭转",
                           "建议对照上期以来的工作安排和人员变化逐项分析，及时调整措施",
                           f"力争下一期{label}回升至{{goal}}以上"))
    if units and rates:
        label, unit = pick(rates[0].label, "zh"), TERMS["unit"]
        rule = _rule(rates[0].name, {"bottom_unit": True}, f"个别{unit}{label}明显偏低",
                     f"该{unit}评价偏低的原因需结合其实际情况进一步核实", f"聚焦评价偏低的{unit}，推动整改",
                     f"建议对排名末位的{unit}开展专题调研，列出受访者反映集中的问题，明确整改责任和时限",
                     f"力争下一期该{unit}{label}与总体水平的差距缩小一半")
        del rule["suggestion"]["gain"]
        rules.append(rule)
    return rules


def _rule(indicator: str, condition: dict[str, Any], problem: str, cause: str, title: str, action: str,
          target: str) -> dict[str, Any]:
    """One rule as a layout file writes it; the target's {goal} is GAIN above the finding."""
    return {"indicator": indicator, **condition, "problem": problem, "cause": cause,
            "suggestion": {"title": title, "action": action, "target": target, "gain": GAIN}}
