"""The report as PDF: text, labels, embedded CJK fonts, A4, metadata, same bytes; page images for a look."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from surveyapp.reporting import charts
from surveyapp.reporting.document import Figure, Section, heading_label
from surveyapp.reporting.render_pdf import _LocalFetcher, render_pdf
from surveyapp.reporting.render_html import LAYOUTS
from tests.reporting.sample import sample_report

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def chart_report():
    """sample_report() with the charts of charts.py (Chinese labels): 图1 redrawn, and a fourth section of three."""
    communities = ["丹霞社区", "青松社区", "白云街社区", "滨江花园社区", "新村社区"]
    values = [88.2, 76.4, 71.0, 64.3, 52.9]
    figures = (
        Figure("f_rank", "各社区安全感率及95%置信区间（%）", charts.bar_chart(
            communities, values, low=[v - 4.5 for v in values], high=[v + 4.5 for v in values], reference=70.5,
            highlight="白云街社区"), "条形图：各社区安全感率，白云街社区71.0%，全区平均70.5%", number=2),
        Figure("f_change", "主要指标较上期变化（%）", charts.grouped_change_chart(
            ["安全感率", "满意率", "见警率"], [92.6, 85.1, 48.0], [93.8, 86.0, 52.1]), "分组条形图：上期与本期", number=3),
        Figure("f_likert", "夜间独自走路的安全感分布（%）", charts.distribution_chart(
            ["很安全", "比较安全", "一般", "不太安全", "很不安全"], [41.2, 38.5, 12.3, 5.6, 2.4]),
            "堆积条形图：很安全41.2%，比较安全38.5%", width_cm=13, number=4))
    report = sample_report()
    extra = Section("charts", "分社区比较", blocks=figures, label=heading_label(1, 4))
    visibility = charts.bar_chart(["丹霞社区", "青松社区", "白云街社区"], [93.2, 88.5, 71.0], reference=84.0)
    return replace(report, sections=tuple(_with_png(s, "f_visibility", visibility) for s in report.sections)
                   + (extra,))


def _with_png(section: Section, key: str, png: bytes) -> Section:
    """``section`` with the chart of figure ``key`` replaced (the sample's own is a plain matplotlib one)."""
    blocks = tuple(replace(b, png=png) if isinstance(b, Figure) and b.key == key else b for b in section.blocks)
    return replace(section, blocks=blocks, children=tuple(_with_png(c, key, png) for c in section.children))


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    path.write_bytes(render_pdf(chart_report()))
    return path


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=60).stdout


def test_text_has_title_labels_and_page_numbers(pdf):
    text = run("pdftotext", "-enc", "UTF-8", str(pdf), "-")
    flat = re.sub(r"\s+", "", text)
    assert "某区2026年第四季度社区治安与警务满意度调研报告" in flat
    for label in ("一、调研基本情况", "二、调研结果", "（一）群众安全感", "（二）社区警务工作评价",
                  "1.满意率与满意度得分", "三、存在的主要问题", "四、分社区比较", "附件1主要指标统计表",
                  "表1主要指标（2026年第四季度）", "图1各社区见警率（%）", "图2各社区安全感率", "—1—", "—2—"):
        assert label in flat, label
    assert "注：安全感率以有效回答为基数" in flat
    assert re.search(r"字体：Noto(Sans|Serif)CJKSC", flat)      # the provenance names the fonts used


def test_cjk_fonts_embedded(pdf):
    fonts = run("pdffonts", str(pdf)).splitlines()[2:]
    embedded = [line for line in fonts if re.search(r"Noto|WenQuanYi", line) and re.search(r"\byes\s+yes\b", line)]
    assert embedded, fonts
    assert not [line for line in fonts if " no " in line.split("Identity-H")[-1][:8]], fonts


def test_a4_pages_and_metadata(pdf):
    info = run("pdfinfo", str(pdf))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    assert re.search(r"Title:\s+某区2026年第四季度社区治安与警务满意度调研报告", info)
    assert re.search(r"Author:\s+某区公安分局（示例）", info)
    assert re.search(r"Keywords:\s+调研报告", info)
    assert "CreationDate" not in info and "ModDate" not in info
    assert re.search(r"Tagged:\s+yes", info)
    assert int(re.search(r"Pages:\s+(\d+)", info)[1]) >= 3


def test_same_report_same_bytes(pdf):
    assert render_pdf(chart_report()) == pdf.read_bytes()


def test_same_bytes_in_another_process(pdf):
    """No dates, ids or hash()-seeded names: another process (another hash seed) writes the same file."""
    code = ("import hashlib, sys; from tests.reporting.test_render_pdf import chart_report; "
            "from surveyapp.reporting.render_pdf import render_pdf; "
            "sys.stdout.write(hashlib.sha256(render_pdf(chart_report())).hexdigest())")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    other = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT,
                           env=env, timeout=120).stdout
    assert other == hashlib.sha256(pdf.read_bytes()).hexdigest()


def test_pages_as_images(pdf):
    """Pages 1–2 as PNG in test-artifacts/screenshots/ (kept after the run) for a human look."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("report-pdf-*.png"):
        old.unlink()
    run("pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "2", str(pdf), str(SCREENSHOTS / "report-pdf"))
    pages = sorted(SCREENSHOTS.glob("report-pdf-*.png"))
    assert len(pages) == 2 and all(page.stat().st_size > 5_000 for page in pages)


def test_fetcher_stays_local(tmp_path):
    fetcher = _LocalFetcher(LAYOUTS.resolve())
    outside = ((tmp_path / "x.css").as_uri(), (LAYOUTS / ".." / "setup.cfg").resolve().as_uri())
    for url in ("http://example.invalid/logo.png", "https://example.invalid/a.css", *outside):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    css = fetcher.fetch((LAYOUTS / "report.css").resolve().as_uri())
    assert b"@page" in css.read()
    css.close()
