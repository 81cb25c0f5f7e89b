"""The sentences of a 调研报告 that are written the same way in every study.

The method section (period, population, sampling, mode, returns, response rate, weighting,
precision), the statistical-methods note, ranking sentences, table captions, indicator
definitions and the Chinese names of codes. Each takes the report builder (``build._Builder``)
for the data and the layout's words.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

import pandas as pd

from surveyapp.analysis import compare
from surveyapp.analysis.estimates import margin_of_error
from surveyapp.analysis.plan import TIMEZONE, Indicator
from surveyapp.analysis.sample import Sample
from surveyapp.questionnaire.messages import pick
from surveyapp.questionnaire.schema import PROBABILITY_SAMPLING
from surveyapp.reporting import wording as w

if TYPE_CHECKING:
    from surveyapp.reporting.build import _Builder

SAMPLING_NAMES = {"simple_random": "简单随机抽样", "systematic": "系统（等距）抽样", "stratified": "分层抽样",
                  "cluster": "整群抽样", "multistage": "多阶段抽样", "quota": "配额抽样",
                  "convenience": "便利抽样（扫码、链接自愿填答）"}
MODE_NAMES = {"self": "受访者扫码或通过链接在线自填", "interview": "调查员当面访问"}
METHOD_NAMES = {"wilson": "Wilson", "clopper-pearson": "Clopper-Pearson精确法", "logit": "logit（设计）",
                "beta": "Korn-Graubard", "korn-graubard": "Korn-Graubard", "t": "t分布", "linearised-t": "线性化t分布",
                "mean": "t分布（设计）"}



MEASURE_NAMES = {"cases": "案件数", "population": "常住人口数", "households": "户数", "visits": "走访户数"}


def measure_name(measure: str) -> str:
    """A measure of the administrative inputs in words (the CSV column name otherwise)."""
    return MEASURE_NAMES.get(measure, measure)


def plain_label(label: dict | str) -> str:
    """A question label without its item code and trailing question mark ("B1 您…？" -> "您…")."""
    text = pick(label, "zh") if isinstance(label, dict) else label
    return re.sub(r"^[A-Z]\d+[a-z]?\s*", "", text).rstrip("？?：:")



def period_name(wave: str | None, frame: pd.DataFrame | None) -> str:
    """2026Q4 -> 2026年第四季度, 2026H1 -> 2026年上半年; else the wave name or the data's dates."""
    if wave:
        match = re.fullmatch(r"(\d{4})Q([1-4])", wave)
        if match:
            return f"{match[1]}年第{'一二三四'[int(match[2]) - 1]}季度"
        match = re.fullmatch(r"(\d{4})H([12])", wave)
        if match:
            return f"{match[1]}年{'上下'[int(match[2]) - 1]}半年"
        return wave
    if frame is None or frame.empty:
        return ""
    local = frame["_submitted_at"].dt.tz_convert(TIMEZONE)
    return f"{chinese_date(local.min())}至{chinese_date(local.max())}"


def chinese_date(day) -> str:
    """2026-10-01 -> 2026年10月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


def method_paragraphs(builder: "_Builder") -> list[str]:
    """The method section: when, who, how, how many, weighting and precision (AAPOR-style disclosure)."""
    study, sample = builder.r.form.study, builder.sample
    frame, quality = builder.received, sample.quality
    local = frame["_submitted_at"].dt.tz_convert(TIMEZONE) if len(frame) else None
    dates = f"{chinese_date(local.min())}至{chinese_date(local.max())}" if local is not None else "—"
    modes = frame["_mode"].value_counts()
    mode_text = "、".join(f"{MODE_NAMES.get(m, m)}{w.count(n)}份" for m, n in modes.items())
    excluded = [f"{label}{quality.get(key, 0)}份" for key, label in
                (("speeder", "答题用时过短"), ("straightliner", "矩阵题规律性作答"), ("duplicate", "重复提交"))
                if quality.get(key)]
    valid, received = len(sample.frame), len(frame)
    out = [f"调查时间为{dates}，调查对象为{study.population.rstrip('。')}，抽样方式为"
           f"{SAMPLING_NAMES.get(study.sampling, study.sampling)}，调查方式为{mode_text or '—'}。",
           f"共回收问卷{w.count(received)}份。经质量审核，"
           + (("标记并剔除" if quality.get("excluded", True) else "标记（按分析方案仍保留在估计中）")
              + f"{w.count(quality.get('flagged', 0))}份（{'，'.join(excluded)}；一份问卷可能同时存在多种情况），"
              if quality.get("flagged") else "未发现需要剔除的问卷，")
           + f"有效问卷{w.count(valid)}份，有效率{w.pct(valid / received) if received else w.DASH}。"
           "被剔除的问卷仍完整保存，未作删除。"]
    if study.frame_size:
        frame_size = int(study.frame_size)
        out.append(f"抽样框共{w.count(frame_size)}个{builder.t.get('frame_unit', '对象')}，按美国舆论研究协会（AAPOR）"
                   f"标准定义RR1计算（完成问卷数÷抽样框中的合格对象数，未完成的访问不计入），应答率为"
                   f"{w.pct(min(received / frame_size, 1.0))}。")
    out.append(weighting_sentence(sample))
    if study.sampling in PROBABILITY_SAMPLING:
        deff = sample.weighting.get("weights_kish_deff", 1.0) if sample.weighting.get("weighted") else 1.0
        frame_size = int(study.frame_size) if study.frame_size else None
        population = frame_size if frame_size and frame_size > valid else None
        moe = margin_of_error(valid, 0.5, deff, population=population) * 100 if valid else math.nan
        correction = "，已作有限总体校正" if population else ""
        out.append(f"在95%置信水平下，总体比例估计的最大抽样误差约为±{moe:.1f}个百分点（设计效应{deff:.2f}{correction}）。")
    else:
        out.append("本次调查为非概率抽样，结果反映受访者的意见，不宜直接推断总体，未计算抽样误差；"
                   "报告中的置信区间按简单随机抽样近似计算，仅供参考。")
    out.append(statistics_note(builder))
    return out


def weighting_sentence(sample: Sample) -> str:
    info = sample.weighting
    if not info.get("weighted"):
        return "数据未加权，各项比例以有效回答为基数直接计算。"
    return (f"数据按{'、'.join(info['margins'])}的总体结构进行{'事后分层' if info['method'] == 'poststratify' else '迭代（raking）'}"
            f"加权，权数范围{info['weights_min']:.2f}～{info['weights_max']:.2f}，Kish设计效应{info['weights_kish_deff']:.2f}；"
            f"{info['n_unweighted']}份问卷因相关信息缺失未参与加权估计。")


def statistics_note(builder: "_Builder") -> str:
    return ("比例的95%置信区间采用Wilson方法（样本较少时采用Clopper-Pearson精确法，加权时采用logit方法），"
            "得分的置信区间采用t分布；两期比较采用两独立样本比例z检验（加权时采用设计标准误），显著性水平为0.05，"
            f"不显著的变化不表述为上升或下降；分{builder.t['unit']}排名要求有效样本不少于{builder.plan.min_n}份，"
            f"{builder.t['count']}少于{builder.plan.suppress_below}的单元格不予显示。")


def ranking_sentence(builder: "_Builder", indicator: Indicator, ranked: list, overall, table_label: str) -> str:
    """Which unit is highest and lowest (by value), and which are not significantly behind the first."""
    name, unit_word = pick(indicator.label, "zh"), builder.t["unit"]
    if len(ranked) < 2:
        return f"各{unit_word}有效样本不足{builder.plan.min_n}份，未进行排名（见{table_label}）。"
    fmt = w.pct if indicator.on_percent_scale else w.points
    high = max(ranked, key=lambda u: u.estimate)
    low = min(ranked, key=lambda u: u.estimate)
    names = builder.channel_names
    same = [names.get(u.unit, u.unit) for u in ranked[1:] if compare.NOT_DIFFERENT in u.flags]
    text = (f"分{unit_word}看，{names.get(high.unit, high.unit)}{name}最高（{fmt(high.estimate)}），"
            f"{names.get(low.unit, low.unit)}最低（{fmt(low.estimate)}），{builder.t['whole']}为{fmt(overall.estimate)}")
    if same:
        text += f"；{'、'.join(same)}与排名第一的{names.get(ranked[0].unit, ranked[0].unit)}差异不显著"
    return text + f"（见{table_label}）。"


def indicator_caption(labels: list[str]) -> str:
    """"A", "A和B", "A、B等指标"."""
    if len(labels) == 1:
        return labels[0]
    if len(labels) == 2:
        return f"{labels[0]}和{labels[1]}"
    return f"{labels[0]}、{labels[1]}等指标"


def definition_text(builder: "_Builder", indicator: Indicator) -> str:
    label = pick(indicator.label, "zh")
    if indicator.kind == "admin":
        return (f"{label}：{measure_name(indicator.numerator)}÷{measure_name(indicator.denominator)}"
                f"×{indicator.per:,.0f}（管理数据）。")
    if indicator.kind == "composite":
        parts = "＋".join(f"{weight}×{pick(builder.plan.indicator(n).label, 'zh')}"
                         for n, weight in indicator.components.items())
        return f"{label}：{parts}（率按百分数计）。"
    dataset = builder.r.dataset
    variables = dataset.rosters[indicator.roster].variables if indicator.roster else dataset.variables
    variable = variables[indicator.question]
    question = plain_label(variable.label)
    excluded = "".join(f"“{variable.choice_label(c)}”" for c in indicator.exclude if c in variable.codes)
    note = f"，不含{excluded}" if excluded else ""
    if indicator.kind == "score":
        mapping = "，".join(f"“{variable.choice_label(c)}”{v:g}分" for c, v in indicator.scores.items())
        return f"{label}：“{question}”各选项赋值（{mapping}）的平均分{note}。"
    codes = indicator.positive or indicator.any_of
    chosen = "".join(f"“{variable.choice_label(c)}”" for c in codes)
    return (f"{label}：“{question}”{'选择' if indicator.any_of else '回答'}{chosen}"
            f"{'中任一项' if len(codes) > 1 and indicator.any_of else ''}的{'条目' if indicator.roster else builder.t['count']}"
            f"占有效回答的比例{note}{'（以每条记录为一个单位计算）' if indicator.roster else ''}。")
