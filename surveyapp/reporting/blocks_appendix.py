"""The method section and the appendices: returns, indicator table, definitions, questionnaire."""

from __future__ import annotations

from typing import Any

from surveyapp.questionnaire.messages import pick
from surveyapp.questionnaire.schema import walk
from surveyapp.reporting import wording as w
from surveyapp.reporting.document import Block, ItemList, Paragraph, Table
from surveyapp.reporting.sentences import (
    METHOD_NAMES, MODE_NAMES, definition_text, method_paragraphs, statistics_note,
)


class AppendixBlocks:
    """Block kinds of ``_Builder`` (see reporting/build.py); ``self`` is the builder."""

    def block_method(self, _argument: Any) -> list[Block]:
        paragraphs = [Paragraph(text) for text in method_paragraphs(self)]
        table = self.returns_table()
        paragraphs[1] = Paragraph(paragraphs[1].text.rstrip("。") + f"（见{table.label}）。", (table.label,))
        return paragraphs[:2] + [table] + paragraphs[2:]

    def returns_table(self) -> Table:
        """Returns, exclusions by reason and valid questionnaires: the numbers the method section states."""
        quality, received, valid = self.sample.quality, len(self.received), len(self.sample.frame)
        rows = [("回收问卷", w.count(received), "100.0%" if received else w.DASH)]
        rows += [(f"其中：{mode}", w.count(n), w.pct(n / received))
                 for mode, n in ((MODE_NAMES.get(m, m), n) for m, n in self.received["_mode"].value_counts().items())]
        for key, label in (("speeder", "答题用时过短"), ("straightliner", "矩阵题规律性作答"), ("duplicate", "重复提交")):
            if quality.get(key):
                rows.append((f"标记：{label}", w.count(quality[key]), w.pct(quality[key] / received)))
        rows.append(("剔除合计", w.count(received - valid), w.pct((received - valid) / received) if received else w.DASH))
        rows.append(("有效问卷", w.count(valid), w.pct(valid / received) if received else w.DASH))
        return self.table("returns", "问卷回收与审核情况", ("项目", "份数", "占回收问卷"), rows,
                          ("注：一份问卷可能同时存在多种标记情况；被剔除的问卷仍完整保存。",), (False, True, True))

    def block_indicator_table(self, _argument: Any) -> list[Block]:
        rows = []
        for indicator in self.plan.indicators:
            if indicator.kind == "admin":
                continue
            result = self.estimate(indicator)
            percent = indicator.on_percent_scale
            rows.append((pick(indicator.label, "zh"), w.value(result, percent), w.interval(result, percent),
                         w.count(result.n), METHOD_NAMES.get(result.method, result.method)))
        return [self.table("all_indicators", "主要指标统计表", ("指标", "估计值", "95%置信区间", "有效样本", "区间方法"),
                           rows, (), (False, True, True, True, False))]

    def block_definitions(self, _argument: Any) -> list[Block]:
        items = [definition_text(self, indicator) for indicator in self.plan.indicators]
        return [ItemList(tuple(items)),
                Paragraph(statistics_note(self), kind="note")]

    def block_questionnaire(self, _argument: Any) -> list[Block]:
        items, stems = [], set()
        for question, parents in walk(self.r.form.items):
            if question.type in ("calculate", "note") or question.name.endswith("_other"):
                continue
            choices = [pick(c.label, "zh") for c in self.r.form.choices.get(question.list_name or "", ())]
            if question.or_other:
                choices.append("其他（请注明）")
            matrix = next((g for g in reversed(parents) if g.is_matrix), None)
            if matrix is not None and matrix.name not in stems:     # a matrix: its stem and scale once
                stems.add(matrix.name)
                items.append(f"{pick(matrix.label, 'zh')}（{'；'.join(choices)}）")
            text = pick(question.label, "zh").rstrip("：:")
            items.append(f"　　{text}" if matrix is not None else text + (f"（{'；'.join(choices)}）" if choices else ""))
        return [ItemList(tuple(items), ordered=False)]
