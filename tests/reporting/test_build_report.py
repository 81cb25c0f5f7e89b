"""The resident study's 调研报告 built from simulated responses: structure, numbers, wording, suppression."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import pandas as pd
import pytest

from surveyapp import export, reports, responses, simulate, studies
from surveyapp.reporting.document import Paragraph, Table
from tests.builders import import_file
from tests.conftest import ROOT
from tests.reporting.checks import assert_wording_follows_significance, paragraphs

QUESTIONNAIRES = ROOT / "questionnaires"
UTC = dt.timezone.utc
WAVES = {"2026Q3": (dt.datetime(2026, 7, 2, tzinfo=UTC), dt.datetime(2026, 9, 28, tzinfo=UTC)),
         "2026Q4": (dt.datetime(2026, 10, 2, tzinfo=UTC), dt.datetime(2026, 12, 28, tzinfo=UTC))}
FEW = "c103"   # a community with only a handful of responses in the reported wave


def _store(n: int, seed: int, wave: str, channels=None) -> None:
    target = responses.find_target("community_safety")
    compiled = responses.compiled_version(target.version_id, target.checksum)
    profile = simulate.default_profile(compiled, list(WAVES))
    profile = dataclasses.replace(profile, speeders=0.0, straightliners=0.0)
    start, end = WAVES[wave]
    items = (responses.Prepared(r.answers, r.channel, r.started_at, r.submitted_at, r.mode)
             for r in simulate.simulate(compiled, n, seed, profile, channels=channels, wave=wave, start=start, end=end))
    responses.store_batch("community_safety", items)


@pytest.fixture
def report(app, tmp_path):
    """The report of 2026Q4 against 2026Q3, with one community nearly absent in 2026Q4.

    The plan keeps flagged responses in the estimates (``exclude_flagged: false``) so that the
    CSV recount below needs no quality screening of its own.
    """
    import_file(QUESTIONNAIRES / "community_safety.yaml")
    plan = (QUESTIONNAIRES / "community_safety.analysis.yaml").read_text(encoding="utf-8")
    (tmp_path / "community_safety.analysis.yaml").write_text(
        plan.replace("exclude_flagged: true", "exclude_flagged: false"), encoding="utf-8")
    studies.import_plan(tmp_path / "community_safety.analysis.yaml")
    others = [c for c in ("c101", "c102", "c201", "c202", "c301", "c302")]
    _store(700, 11, "2026Q3")
    _store(700, 12, "2026Q4", channels=others)
    _store(3, 13, "2026Q4", channels=[FEW])
    return reports.build("community_safety", wave="2026Q4", compare_with="2026Q3")


def test_the_report_has_the_sections_of_the_genre_in_order(report):
    """Are the numbered sections, appendices, tables and figures those of a 调研报告?"""
    top = [s.label + s.title for s in report.sections]
    assert top == ["一、调研基本情况", "二、调研结果", "三、存在的主要问题", "四、原因分析", "五、对策建议", "六、结论"]
    assert [s.label for s in report.appendices] == ["附件1", "附件2", "附件3"]
    assert [c.label for c in report.sections[1].children][:3] == ["（一）", "（二）", "（三）"]
    assert report.sections[1].children[1].children[0].label == "1."
    numbers = [t.number for t in report.tables()]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 12
    assert [f.number for f in report.figures()] == [1, 2, 3]
    assert report.title.startswith("某区公安分局（示例）2026年第四季度") and "703份有效问卷" in report.subtitle


def test_every_rate_in_the_text_equals_the_value_computed_from_the_csv_export(report, app):
    """Does each indicator sentence's percentage and base match a recount from the exported CSV?"""
    csv = "".join(export.csv_lines("community_safety")).lstrip("\ufeff")
    data = pd.read_csv(io.StringIO(csv), dtype=str)
    submitted = pd.to_datetime(data["submitted_at"], utc=True)
    wave = data[(submitted >= WAVES["2026Q4"][0]) & (submitted <= WAVES["2026Q4"][1])]
    plan = studies.plan_for("community_safety")
    text = "\n".join(paragraphs(report))
    checked = 0
    for indicator in plan.indicators:
        if indicator.kind not in ("rate", "top2") or indicator.any_of:
            continue
        label = indicator.label["zh"]
        match = re.search(re.escape(label) + r"为([\d.]+)%（95%置信区间[^，]+，有效回答([\d,]+)份）", text)
        if match is None:
            continue
        answers = wave[indicator.question].dropna()
        answers = answers[~answers.isin(indicator.exclude)]
        expected = answers.isin(indicator.positive).mean() * 100
        assert float(match[1]) == pytest.approx(round(expected, 1), abs=0.05), label
        assert int(match[2].replace(",", "")) == len(answers), label
        checked += 1
    assert checked >= 12


def test_a_change_that_is_not_significant_is_never_called_a_rise_or_a_fall(report):
    """Is every 提高/下降 backed by p < 0.05, and every non-significant change worded as such?"""
    text = "\n".join(paragraphs(report))
    assert_wording_follows_significance(text)
    for table in report.tables():
        if "显著性" in table.header and "上期" in table.header:
            column = table.header.index("显著性")
            for row in table.rows:
                sentence = next(s for s in text.split("；") if s.startswith(row[0] + "为") or f"，{row[0]}为" in s
                                or f"调查显示，{row[0]}为" in s)
                assert ("变化不显著" in sentence) == (row[column] == "不显著"), sentence


def test_small_units_are_suppressed_not_ranked(report):
    """Is the community with 3 responses 样本不足 in rankings, hidden in counts, and never given a rate?"""
    name = "翠柏社区（青松街道）"
    for table in report.tables():
        for row in table.rows:
            if name in row:
                cells = [c for c in row if c != name]
                assert all("%" not in c and "分" not in c for c in cells), (table.caption, row)
                assert "样本不足" in cells or "—" in cells, (table.caption, row)
    for paragraph in paragraphs(report):
        assert name not in paragraph or "%" not in paragraph.split(name, 1)[1][:12], paragraph


def test_problems_cite_findings_and_suggestions_carry_a_target(report):
    """Does every problem cite a number, and every suggestion cite its finding and set a target?"""
    problems = report.sections[2]
    items = [b for b in problems.blocks if not isinstance(b, (Paragraph, Table))][0].items
    assert items and all(re.search(r"\d", item) for item in items)
    suggestions = report.sections[4].children
    assert suggestions and len(suggestions) == len(items)
    for section in suggestions:
        text = section.blocks[0].text
        assert text.startswith("针对") and "力争下一期" in text


def test_the_same_inputs_give_the_same_document(report, app):
    """Is the report reproducible: same data and filters, same document and provenance?"""
    again = reports.build("community_safety", wave="2026Q4", compare_with="2026Q3")
    assert again == report
    meta = report.meta
    assert meta["versions"] == [1] and meta["wave"] == "2026Q4" and len(meta["data_checksum"]) == 64
    assert meta["n_valid"] == meta["n_received"] == 703 and meta["software"].startswith("SurveyApp")


def test_the_prevention_layout_reads_the_same_data_for_prevention(report, app):
    """Does the 社区治安防范措施调查研究报告 layout build from the same responses, in every format?"""
    prevention = reports.build("community_safety", layout="community_prevention", wave="2026Q4",
                               compare_with="2026Q3")
    assert prevention.title.startswith("关于某区公安分局（示例）辖区社区治安防范措施的调查研究报告")
    captions = [t.caption for t in prevention.tables()]
    assert "家庭已采取的防范措施（提及率）" in captions and "各设施认为“有效”或“基本有效”的比例" in captions
    mentions = next(t for t in prevention.tables() if t.caption == "家庭已采取的防范措施（提及率）")
    assert all(row[1] != "以上都没有" for row in mentions.rows)     # the exclusive "none" is not a measure
    for fmt in ("md", "html"):
        assert reports.render(prevention, fmt)


@pytest.mark.parametrize("fmt", ["docx", "pdf", "html", "md"])
def test_the_report_renders_in_every_format(report, fmt):
    """Does the resident study's report render to Word, PDF, HTML and Markdown with its tables and charts?"""
    rendered = reports.render(report, fmt)
    if fmt == "md":
        text, files = rendered
        assert text.count("| ---") >= len(report.tables()) and len(files) == len(report.figures())
    elif fmt == "html":
        html = rendered.decode("utf-8")
        assert html.count("<table") >= len(report.tables()) and html.count("data:image/png") == len(report.figures())
    else:
        assert rendered[:4] in (b"%PDF", b"PK\x03\x04")


def test_every_percentage_in_the_text_stands_in_a_table(report):
    """Is each percentage a sentence states also in one of the report's tables (traceable)?"""
    cells = {cell for table in report.tables() for row in table.rows for cell in row}
    in_tables = set(re.findall(r"\d+(?:\.\d+)?%", " ".join(cells)))
    for paragraph in paragraphs(report):
        statement = paragraph.split("力争")[0]     # a suggestion's target is a goal, not a result
        for number in re.findall(r"\d+(?:\.\d+)?%", statement):
            if number.startswith("95%"):       # the confidence level, not a result
                continue
            assert number in in_tables, (number, paragraph)
