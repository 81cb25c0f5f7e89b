"""派出所社区警务调研报告: the quarterly evaluation by 警务区, with case counts imported as admin inputs."""

from __future__ import annotations

import re

import pytest

from surveyapp import reports, studies
from surveyapp.reporting.document import Paragraph
from tests.builders import import_file
from tests.conftest import ROOT

QUESTIONNAIRES = ROOT / "questionnaires"


@pytest.fixture
def report(app, runner):
    """Two quarters of simulated residents' answers (one 警务区 kept small) and the sample case counts."""
    import_file(QUESTIONNAIRES / "community_safety.yaml")
    studies.import_plan(QUESTIONNAIRES / "community_safety.analysis.yaml")
    for wave, seed, n in (("2026Q3", 1, 1500), ("2026Q4", 2, 1500)):
        args = ["responses", "simulate", "community_safety", "--n", str(n), "--seed", str(seed), "--wave", wave]
        assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=["inputs", "import", str(QUESTIONNAIRES / "community_safety.inputs.csv"),
                                 "--questionnaire", "community_safety"])
    assert result.exit_code == 0, result.output
    return reports.build("community_safety", layout="police_station_quarterly", wave="2026Q4",
                         compare_with="2026Q3")


def test_the_evaluation_report_has_its_sections_and_the_case_table(report):
    """Are the genre's sections there, with the 警务区 league table and the 发案率 table of every unit?"""
    assert [s.label + s.title for s in report.sections] == [
        "一、调研基本情况", "二、考评结果", "三、存在的主要问题", "四、原因分析", "五、对策建议", "六、结论"]
    captions = [t.caption for t in report.tables()]
    assert "分警务区主要指标汇总" in captions and "各警务区发案率（每万人）" in captions
    cases = next(t for t in report.tables() if t.caption == "各警务区发案率（每万人）")
    assert len(cases.rows) == 7 and cases.header[-1] == "显著性"
    row = next(r for r in cases.rows if r[0].startswith("丹霞社区"))
    assert row[1:4] == ("23", "8,800", "26.1")          # 23 cases / 8,800 residents x 10,000


def test_ranking_needs_100_answers_and_case_changes_are_worded_by_significance(report):
    """Is a 警务区 under 100 valid answers left unranked, and is the change in 发案率 worded by its test?"""
    for table in report.tables():
        if table.caption.startswith("各警务区") and "排名" in table.caption:
            for row in table.rows:
                assert (row[0] == "—") == (int(row[4].replace(",", "")) < 100)
    text = "\n".join(b.text for b in report.blocks() if isinstance(b, Paragraph))
    sentence = re.search(r"全所发案率（每万人）为每万人[\d.]+（\d+起），([^；]+)", text)
    assert sentence, text[:400]
    changed = re.search(r"较2026年第三季度(上升|下降)[\d.]+（p([＝＜])([\d.]+)）", sentence[1])
    if changed:
        assert changed[2] == "＜" or float(changed[3]) < 0.05
    else:
        assert "变化不显著" in sentence[1]


def test_bottom_units_become_problems_with_targets(report):
    """Do the bottom-rank rules produce problems that name the 警务区, and suggestions with targets?"""
    problems = [b for b in report.sections[2].blocks if not isinstance(b, Paragraph)]
    assert problems and any("警务区" in item for item in problems[0].items)
    for section in report.sections[4].children:
        assert "力争下一季度" in section.blocks[0].text


@pytest.mark.parametrize("fmt", ["docx", "pdf", "html", "md"])
def test_every_format_renders(report, fmt):
    """Does the report render to every format?"""
    rendered = reports.render(report, fmt)
    assert (rendered[0] if fmt == "md" else rendered)
