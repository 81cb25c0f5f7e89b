"""A small hand-made report with every kind of block, for renderer tests."""

from __future__ import annotations

import io

from surveyapp.reporting.document import Figure, ItemList, Paragraph, Report, Section, Table, heading_label


def _png() -> bytes:
    """A tiny bar chart with Chinese labels (the renderers only embed it)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure as MplFigure

    figure = MplFigure(figsize=(4, 2.5), dpi=100)
    axes = figure.subplots()
    axes.bar(["A", "B", "C"], [93.2, 88.5, 71.0], color="#4a6fa5")
    axes.set_ylim(0, 100)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close("all")
    return buffer.getvalue()


def sample_report() -> Report:
    """Two levels of sections, a three-line table, a figure, a list and appendices."""
    table = Table("t_headline", "主要指标（2026年第四季度）", ("指标", "数值", "95%置信区间", "有效样本"),
                  (("安全感率", "93.8%", "92.7%～94.8%", "1,882"),
                   ("满意度得分", "78.4分", "77.6～79.2分", "1,876"),
                   ("见警率", "52.1%", "49.8%～54.4%", "1,882")),
                  notes=("注：安全感率以有效回答为基数，不含“说不清”。",), numeric=(False, True, True, True), number=1)
    figure = Figure("f_visibility", "各社区见警率（%）", _png(), "柱状图：各社区见警率", number=1)
    results = Section("results", "调研结果", children=(
        Section("safety", "群众安全感", blocks=(
            Paragraph("调查显示，93.8%的受访者感到安全（含“基本安全”），较上期提高1.2个百分点，变化不显著（p＝0.21）。",
                      sources=("表1",)),
            table, figure), label=heading_label(2, 1)),
        Section("police", "社区警务工作评价", children=(
            Section("satisfaction", "满意率与满意度得分", blocks=(
                Paragraph("满意度得分为78.4分（95%置信区间77.6～79.2分）。", sources=("表1",)),), label=heading_label(3, 1)),
        ), label=heading_label(2, 2)),
    ), label=heading_label(1, 2))
    basics = Section("basics", "调研基本情况", blocks=(
        Paragraph("本次调查于2026年10月1日至12月31日开展，共回收问卷2,400份，有效问卷1,938份。"),), label=heading_label(1, 1))
    problems = Section("problems", "存在的主要问题", blocks=(
        ItemList(("一是见警率偏低，47.9%的受访者近3个月每周见到巡逻不足一次；", "二是丹霞社区熟识率明显低于全区平均水平。")),),
        label=heading_label(1, 3))
    appendix = Section("appendix_tables", "主要指标统计表", blocks=(table,), label="附件1")
    return Report(title="某区2026年第四季度社区治安与警务满意度调研报告", subtitle="——基于1,938份有效问卷的分析",
                  preface=(Paragraph("为了解辖区群众安全感和对社区警务工作的评价，某区公安分局于2026年第四季度开展问卷调查。",
                                     kind="lead"),),
                  sections=(basics, results, problems), appendices=(appendix,), organisation="某区公安分局（示例）",
                  date="2027年1月", meta={"n": 1938, "data_checksum": "0" * 64, "software": "surveyapp test"})
