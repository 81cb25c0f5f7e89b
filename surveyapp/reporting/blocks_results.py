"""The 调研结果 blocks: indicators, rankings, league tables, admin rates, subgroups, mentions,
matrices, open-answer themes and numeric summaries. Each records its findings.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from surveyapp.analysis import compare, openanswers
from surveyapp.analysis.estimates import mean, proportion
from surveyapp.analysis.indicators import (
    AdminRate, admin_rates, compare_rates, compare_samples, estimate_by, indicator_values, poisson_interval,
    rank_units_by,
)
from surveyapp.analysis.compare import RankedUnit
from surveyapp.analysis.plan import Indicator
from surveyapp.analysis.results import Estimate
from surveyapp.questionnaire.messages import pick
from surveyapp.reporting import wording as w
from surveyapp.reporting.document import Block, Paragraph
from surveyapp.reporting.blocks_findings import Finding
from surveyapp.reporting.sentences import indicator_caption, measure_name, plain_label, ranking_sentence


class ResultBlocks:
    """Block kinds of ``_Builder`` (see reporting/build.py); ``self`` is the builder."""

    def block_composition(self, names: list[str | dict]) -> list[Block]:
        rows, small = [], False
        labels = {n["question"]: n["label"] for n in names if isinstance(n, dict)}
        for name in (n["question"] if isinstance(n, dict) else n for n in names):
            column = self.sample.frame[name].astype(object)
            base = int(column.notna().sum())
            counts = column.value_counts()
            for code in [c for c in self._codes(name) if c in counts.index]:
                n = int(counts[code])
                hidden = n < self.plan.suppress_below
                small |= hidden
                rows.append((labels.get(name) or self._question_label(name), self._choice_label(name, code),
                             w.DASH if hidden else w.count(n), w.DASH if hidden else w.pct(n / base)))
        count = self.t["count"]
        notes = (f"注：{count}少于{self.plan.suppress_below}的类别不予显示（以“—”表示）。",) if small else ()
        table = self.table("composition", "样本构成", ("项目", "类别", count, "占比"), rows, notes,
                           (False, False, True, True))
        text = f"本次调查有效样本{w.count(len(self.sample.frame))}份，样本构成见{table.label}。"
        return [Paragraph(text, (table.label,)), table]

    def block_indicators(self, names: list[str]) -> list[Block]:
        rows, sentences = [], []
        compare_ = self.previous is not None
        for name in names:
            indicator = self.plan.indicator(name)
            current = self.estimate(indicator)
            percent = indicator.on_percent_scale
            row = [pick(indicator.label, "zh"), w.value(current, percent), w.interval(current, percent),
                   w.count(current.n)]
            change = ""
            if compare_:
                difference = compare_samples(indicator, self.previous, self.sample, self.plan)
                fmt = w.pct if percent else w.points
                row += [fmt(difference.estimate1), w.signed_change(difference, percent),
                        "显著" if difference.significant else "不显著"]
                change = "，" + w.change_phrase(difference, percent, self.context["previous"])
                if difference.significant and (difference.estimate < 0) == indicator.higher_is_better:
                    self.findings[f"{name}:fell"] = Finding(
                        name, f"{pick(indicator.label, 'zh')}{change[1:]}", current.estimate,
                        f"{pick(indicator.label, 'zh')}较{self.context['previous']}"
                        f"{'下降' if difference.estimate < 0 else '上升'}{w.change_amount(difference, percent)}")
            rows.append(tuple(row))
            sentence = (f"{pick(indicator.label, 'zh')}为{w.value(current, percent)}（95%置信区间"
                        f"{w.interval(current, percent)}，有效回答{w.count(current.n)}份）{change}")
            sentences.append(sentence)
            self.findings[name] = Finding(name, sentence, current.estimate,
                                          f"{pick(indicator.label, 'zh')}为{w.value(current, percent)}", current.n)
        header = ("指标", "本期", "95%置信区间", "有效样本") + (("上期", "变化", "显著性") if compare_ else ())
        table = self.table(f"indicators_{names[0]}", indicator_caption([pick(self.plan.indicator(n).label, "zh")
                                                                         for n in names]), header, rows,
                           ("注：率以有效回答为基数，不含“说不清”“不了解”等回答；得分按百分制计算。",),
                           tuple(h not in ("指标", "显著性") for h in header))
        return [Paragraph("调查显示，" + "；".join(sentences) + f"（见{table.label}）。", (table.label,)), table]

    def block_ranking(self, name: str) -> list[Block]:
        indicator = self.plan.indicator(name)
        table_rows, ranked = self._league(indicator)
        percent = indicator.on_percent_scale
        overall = self.estimate(indicator)
        unit_word = self.t["unit"]
        order = "由高到低" if indicator.higher_is_better else "由低到高"
        table = self.table(f"ranking_{name}", f"各{unit_word}{pick(indicator.label, 'zh')}排名",
                           ("排名", unit_word, pick(indicator.label, "zh"), "95%置信区间", "有效样本", "说明"),
                           table_rows, (f"注：按{order}排名；有效样本少于{self.plan.min_n}份的{unit_word}标注“样本不足”，"
                                        f"不参与排名；与排名第一的{unit_word}差异不显著的标注“差异不显著”。",),
                           (True, False, True, True, True, False))
        blocks: list[Block] = [Paragraph(ranking_sentence(self, indicator, ranked, overall, table.label),
                                         (table.label,)), table]
        if ranked:
            scale = 100 if percent else 1
            from surveyapp.reporting import charts   # matplotlib loads only when a chart is drawn
            png = charts.bar_chart([self.channel_names.get(u.unit, u.unit) for u in ranked],
                                   [u.estimate * scale for u in ranked], low=[u.ci_low * scale for u in ranked],
                                   high=[u.ci_high * scale for u in ranked], unit="%" if percent else "分",
                                   reference=overall.estimate * scale, reference_label=f"{self.t['whole']}平均")
            blocks.append(self.figure(f"ranking_{name}", f"各{unit_word}{pick(indicator.label, 'zh')}及95%置信区间",
                                      png, f"条形图：各{unit_word}{pick(indicator.label, 'zh')}"))
        bottom = [u for u in ranked if u.rank == max(v.rank for v in ranked)] if len(ranked) > 1 else []
        if bottom and compare.NOT_DIFFERENT not in bottom[-1].flags:
            unit = bottom[-1]
            self.findings[f"{name}:bottom"] = Finding(
                name, f"{self.channel_names.get(unit.unit, unit.unit)}{pick(indicator.label, 'zh')}为"
                      f"{w.pct(unit.estimate) if percent else w.points(unit.estimate)}，在各{unit_word}中"
                      f"{'最低' if indicator.higher_is_better else '最高'}，且与排名第一的{unit_word}差异显著",
                unit.estimate)
        return blocks

    def _league(self, indicator: Indicator):
        units = rank_units_by(indicator, self.sample, self.plan, "_channel")
        percent = indicator.on_percent_scale
        rows = []
        for unit in units:
            name = self.channel_names.get(unit.unit, unit.unit)
            if unit.rank is None:
                rows.append((w.DASH, name, w.DASH, w.DASH, w.count(unit.n), compare.LABELS[compare.INSUFFICIENT]))
                continue
            fake = _as_estimate(unit)
            rows.append((str(unit.rank), name, w.value(fake, percent), w.interval(fake, percent), w.count(unit.n),
                         "、".join(compare.LABELS[f] for f in unit.flags)))
        return rows, [u for u in units if u.rank is not None]

    def block_league(self, names: list[str]) -> list[Block]:
        indicators = [self.plan.indicator(n) for n in names]
        per_unit = {i.name: estimate_by(i, self.sample, self.plan, "_channel") for i in indicators}
        rows = []
        present = set(self.sample.frame["_channel"].dropna())
        for code in [c for c in self.channel_names if c in present]:
            cells = [self.channel_names.get(code, code)]
            for indicator in indicators:
                result = per_unit[indicator.name].get(code)
                small = result is None or result.n < self.plan.min_n
                cells.append(compare.LABELS[compare.INSUFFICIENT] if small else
                             f"{w.value(result, indicator.on_percent_scale)}（{w.count(result.n)}）")
            rows.append(tuple(cells))
        overall = ["全部"] + [f"{w.value(self.estimate(i), i.on_percent_scale)}（{w.count(self.estimate(i).n)}）"
                              for i in indicators]
        rows.append(tuple(overall))
        unit_word = self.t["unit"]
        table = self.table("league", f"分{unit_word}主要指标汇总", (unit_word,) + tuple(pick(i.label, "zh") for i in indicators),
                           rows, (f"注：括号内为有效样本数；样本不足的{unit_word}不计算指标。",),
                           (False,) + (True,) * len(indicators))
        return [Paragraph(f"各{unit_word}主要指标见{table.label}。", (table.label,)), table]

    def block_admin(self, spec: str | dict) -> list[Block]:
        """An administrative rate (发案率…) per unit for the wave, with exact intervals and the change."""
        indicator = self.plan.indicator(spec if isinstance(spec, str) else spec["indicator"])
        label = pick(indicator.label, "zh")
        inputs = self.r.inputs if self.r.inputs is not None else pd.DataFrame(columns=["unit", "period", "measure", "value"])
        rates = {(r.unit, r.period): r for r in admin_rates(indicator, inputs)}
        now = {u: r for (u, period), r in rates.items() if period == self.r.wave}
        if not now:
            return [Paragraph(f"本期未导入计算{label}所需的管理数据（{indicator.numerator}、{indicator.denominator}）。")]
        before = {u: r for (u, period), r in rates.items() if period == self.r.compare_with}
        rows, changes = [], {}
        for unit in [c for c in self.channel_names if c in now] + sorted(set(now) - set(self.channel_names)):
            rate = now[unit]
            row = [self.channel_names.get(unit, unit), w.count(rate.numerator), w.count(rate.denominator),
                   f"{rate.estimate:.1f}", f"{rate.ci_low:.1f}～{rate.ci_high:.1f}"]
            if unit in before:
                change = changes[unit] = compare_rates(before[unit], rate)
                row += [f"{before[unit].estimate:.1f}", f"{change.difference:+.1f}".replace("-", "−"),
                        "显著" if change.significant else "不显著"]
            elif self.r.compare_with:
                row += [w.DASH] * 3
            rows.append(tuple(row))
        total = _total_rate(indicator, now.values(), self.r.wave)
        header = (self.t["unit"], "发案数", "人口数", f"{label}", "95%置信区间") + \
            (("上期", "变化", "显著性") if self.r.compare_with else ())
        table = self.table(f"admin_{indicator.name}", f"各{self.t['unit']}{label}", header, rows,
                           (f"注：{label}＝{measure_name(indicator.numerator)}÷{measure_name(indicator.denominator)}"
                            f"×{indicator.per:,.0f}，"
                            "来源于导入的管理数据；置信区间为泊松精确区间，两期比较采用两泊松率的精确条件检验。",),
                           (False, True, True, True, True) + ((True, True, False) if self.r.compare_with else ()))
        text = f"{self.t['whole']}{label}为{w.per(total.estimate, indicator.per)}（{w.count(total.numerator)}起）"
        if before:
            previous = _total_rate(indicator, before.values(), self.r.compare_with)
            change = compare_rates(previous, total)
            text += "，" + w.rate_change_phrase(change.difference, change.p_value, change.significant, indicator.per,
                                               self.context["previous"])
            if change.significant and (change.difference > 0) != indicator.higher_is_better:
                self.findings[f"{indicator.name}:fell"] = Finding(indicator.name, f"{label}{text.split(label, 1)[1]}",
                                                                  total.estimate)
        high = max(now.values(), key=lambda r: r.estimate)
        text += f"；{self.channel_names.get(high.unit, high.unit)}最高（{w.per(high.estimate, indicator.per)}）"
        self.findings[indicator.name] = Finding(indicator.name, text, total.estimate)
        return [Paragraph(text + f"（见{table.label}）。", (table.label,)), table]

    def block_subgroups(self, spec: dict) -> list[Block]:
        """Differences between subgroups (sex, age …) that are significant after Holm's correction.

        Each group is compared with all other respondents; groups under the minimum n are left
        out. Only significant differences are written in the text; the table shows every tested one.
        """
        frame = self.sample.frame
        tests = []
        labels = {b["question"]: b["label"] for b in spec["by"] if isinstance(b, dict)}
        by = [b["question"] if isinstance(b, dict) else b for b in spec["by"]]
        for name in spec["indicators"]:
            indicator = self.plan.indicator(name)
            values = indicator_values(indicator, frame).to_numpy(dtype=float)
            for question in by:
                order = {code: index for index, code in enumerate(self._codes(question))}
                results = self._group_tests(indicator, values, frame[question].astype(object).to_numpy())
                for code, result in sorted(results, key=lambda item: order.get(item[0], len(order))):
                    if min(result.n1, result.n2) >= self.plan.min_n:
                        tests.append((indicator, question, code, result))
        if not tests:
            return [Paragraph(f"各子群体有效样本不足{self.plan.min_n}份，未进行子群体比较。")]
        adjusted = compare.adjust_pvalues([t[3].p_value for t in tests], "holm")
        rows, sentences = [], []
        for (indicator, question, code, difference), p in zip(tests, adjusted):
            percent = indicator.on_percent_scale
            group = (f"{labels.get(question) or self._question_label(question)}为“{self._choice_label(question, code)}”"
                     f"的{self.t['respondent']}")
            rows.append((pick(indicator.label, "zh"), group, w.count(difference.n2),
                         (w.pct if percent else w.points)(difference.estimate2),
                         w.signed_change(difference, percent), w.p_value(p).replace("p", "", 1).lstrip("＝"),
                         "显著" if p < 0.05 else "不显著"))
            if p < 0.05:
                direction = "高" if difference.estimate > 0 else "低"
                sentences.append(f"{group}{pick(indicator.label, 'zh')}为{(w.pct if percent else w.points)(difference.estimate2)}，"
                                 f"比其他{self.t['respondent']}{direction}{w.change_amount(difference, percent)}")
        table = self.table("subgroups", "子群体差异检验", ("指标", "子群体", "有效样本", "子群体估计", "与其他受访者之差",
                                                       "校正后p值", "显著性"), rows,
                           ("注：每个子群体与其余受访者比较，p值经Holm方法多重比较校正；有效样本不足"
                            f"{self.plan.min_n}份的子群体不参与比较。",), (False, False, True, True, True, True, False))
        if sentences:
            text = "分群体看，" + "；".join(sentences) + f"（经多重比较校正后差异显著，见{table.label}）。"
        else:
            text = f"分性别、年龄等子群体看，经多重比较校正后，各项指标均未发现显著差异（见{table.label}）。"
        return [Paragraph(text, (table.label,)), table]

    def _group_tests(self, indicator: Indicator, values: np.ndarray, groups: np.ndarray):
        """(group code, group minus the other respondents) for every group; Holm comes later.

        Unweighted rates use the pooled two-proportion z test, unweighted scores the difference of
        two independent means; weighted data the design-based contrast of two domains.
        """
        if self.sample.design is not None:
            data = pd.DataFrame({"value": values, "group": groups})
            results = compare.compare_groups(data, "value", "group", self.sample.design, adjust="none")
            return [(r.extra["group2"], r) for r in results]
        out = []
        answered = pd.notna(groups)
        for code in pd.unique(groups[answered]):
            inside = groups == code
            rest, group = values[answered & ~inside], values[inside]
            if indicator.kind in ("rate", "top2"):
                result = compare.compare_proportions(rest, group)
            else:
                result = compare.difference(mean(rest), mean(group))
            out.append((code, result))
        return out

    def block_mentions(self, spec: str | dict) -> list[Block]:
        name = spec if isinstance(spec, str) else spec["question"]
        frame = self.sample.frame
        variable = self.r.dataset.variables[name]
        topic = spec.get("label", plain_label(variable.label)) if isinstance(spec, dict) else plain_label(variable.label)
        columns = [c for c in variable.columns if c in frame]
        answered = frame[columns[0]].notna()
        shares = []
        exclusive = self._exclusive(name)
        for code, column in zip(variable.codes, columns):
            if code in exclusive:        # "none of these" is not a factor to rank
                continue
            values = frame[column].where(answered).astype("Float64")
            result = proportion(values)
            shares.append((variable.choice_label(code), result))
        shares.sort(key=lambda item: -item[1].estimate)
        rows = [(str(i), label, w.count(r.extra["count"]), w.pct(r.estimate), w.interval(r, True))
                for i, (label, r) in enumerate(shares, 1)]
        table = self.table(f"mentions_{name}", f"{topic}（提及率）",
                           ("排序", "选项", f"提及{self.t['count']}", "提及率", "95%置信区间"), rows,
                           (f"注：提及率＝选择该项的{self.t['count']}÷回答该题的{self.t['count']}"
                            f"（{w.count(int(answered.sum()))}），可多选，合计超过100%。",),
                           (True, False, True, True, True))
        top = "、".join(f"{label}（{w.pct(r.estimate)}）" for label, r in shares[:3])
        text = f"在{topic}中，排在前三位的依次是{top}（见{table.label}）。"
        from surveyapp.reporting import charts
        png = charts.bar_chart([label for label, _ in shares], [r.estimate * 100 for _, r in shares],
                               low=[r.ci_low * 100 for _, r in shares], high=[r.ci_high * 100 for _, r in shares])
        return [Paragraph(text, (table.label,)), table,
                self.figure(f"mentions_{name}", f"{topic}提及率", png, f"条形图：{topic}提及率")]

    def block_matrix(self, spec: dict) -> list[Block]:
        dataset, frame = self.r.dataset, self.sample.frame
        rows_ = [v for v in dataset.variables.values() if v.matrix == spec["group"]]
        results = []
        for variable in rows_:
            answers = frame[variable.name].astype(object)
            valid = answers.notna() & ~answers.isin(variable.non_substantive)
            values = answers.isin(spec["codes"]).astype(float).where(valid)
            results.append((plain_label(variable.label), proportion(values)))
        results.sort(key=lambda item: -item[1].estimate)
        rows = [(label, w.pct(r.estimate), w.interval(r, True), w.count(r.n)) for label, r in results]
        item = spec.get("item", "项目")
        table = self.table(f"matrix_{spec['group']}", f"各{item}{spec['label']}的比例",
                           (item, "比例", "95%置信区间", "有效回答"), rows,
                           ("注：以有效回答为基数，不含“说不清”“不清楚”等回答。",), (False, True, True, True))
        top = "、".join(f"{label}（{w.pct(r.estimate)}）" for label, r in results[:3])
        return [Paragraph(f"{self.t['respondent']}{spec['label']}比例最高的{item}依次是{top}（见{table.label}）。",
                          (table.label,)), table]

    def block_themes(self, spec: list[str] | dict) -> list[Block]:
        names = spec if isinstance(spec, list) else spec["questions"]
        themes = openanswers.THEMES if isinstance(spec, list) else spec.get("themes") or openanswers.THEMES
        texts = pd.concat([self.sample.frame[n] for n in names if n in self.sample.frame], ignore_index=True)
        counts = [t for t in openanswers.theme_counts(texts, themes) if t["count"] > 0]
        base = counts[0]["base_n"] if counts else 0
        if not counts:
            return [Paragraph("受访者填写的意见建议较少，未形成集中的主题。")]
        rows = [(t["label"], w.count(t["count"]), w.pct(t["share"]), (t["examples"] or [""])[0]) for t in counts[:8]]
        table = self.table("themes", f"{self.t['opinions']}主题分布", ("主题", "提及次数", "占有效意见", "示例（已隐去个人信息）"),
                           rows, (f"注：共{w.count(base)}条有效意见；一条意见可涉及多个主题；示例已隐去电话、证件号等个人信息。",),
                           (False, True, True, False))
        top = "、".join(f"{t['label']}（{w.pct(t['share'])}）" for t in counts[:3])
        return [Paragraph(f"在{w.count(base)}条有效意见建议中，提及较多的主题依次是{top}（见{table.label}）。",
                          (table.label,)), table]

    def block_numeric(self, specs: list[str | dict]) -> list[Block]:
        """Mean (with its t interval), median and quartiles of number questions ({question, label, unit})."""
        rows, sentences = [], []
        names = [spec["question"] if isinstance(spec, dict) else spec for spec in specs]
        for spec, name in zip(specs, names):
            values = pd.to_numeric(self.sample.frame[name], errors="coerce").astype(float)
            result = mean(values, self.sample.design, calibration=self.sample.calibration)
            valid = values.dropna()
            label = spec.get("label") if isinstance(spec, dict) else None
            label = label or plain_label(self.r.dataset.variables[name].label)
            unit = spec.get("unit", "") if isinstance(spec, dict) else ""
            quartiles = valid.quantile([0.25, 0.5, 0.75]) if len(valid) else pd.Series([math.nan] * 3)
            rows.append((label, f"{result.estimate:.1f}", f"{result.ci_low:.1f}～{result.ci_high:.1f}",
                         f"{quartiles.iloc[1]:g}", f"{quartiles.iloc[0]:g}～{quartiles.iloc[2]:g}", w.count(result.n)))
            sentences.append(f"{label}平均为{result.estimate:.1f}{unit}（95%置信区间{result.ci_low:.1f}～"
                             f"{result.ci_high:.1f}{unit}，中位数{quartiles.iloc[1]:g}{unit}，有效回答{w.count(result.n)}份）")
        table = self.table(f"numeric_{names[0]}", "数值型题目统计", ("题目", "平均值", "95%置信区间", "中位数",
                                                                 "四分位区间", "有效回答"), rows, (),
                           (False, True, True, True, True, True))
        return [Paragraph("；".join(sentences) + f"（见{table.label}）。", (table.label,)), table]


def _total_rate(indicator: Indicator, rates, period: str | None) -> AdminRate:
    """The rate over all units: summed counts over summed denominators."""
    rates = list(rates)
    count, base = sum(r.numerator for r in rates), sum(r.denominator for r in rates)
    low, high = poisson_interval(count)
    scale = indicator.per / base
    return AdminRate("*", period or "", count, base, indicator.per, count * scale, low * scale, high * scale)


def _as_estimate(unit: RankedUnit) -> Estimate:
    """A ranked unit's figures in the form the wording functions take."""
    return Estimate(unit.estimate, math.nan, unit.ci_low, unit.ci_high, unit.n, "")
