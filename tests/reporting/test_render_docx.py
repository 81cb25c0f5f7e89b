"""The Word renderer: reopen the .docx with python-docx and inspect styles, tables, figures, fonts and layout.

If LibreOffice is on PATH, the document is also converted to PDF and its first pages
are saved as test-artifacts/screenshots/report-docx-*.png (that part is skipped otherwise).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from surveyapp.reporting.render_docx import FONTS, fontconfig_conf, render_docx
from tests.reporting.sample import sample_report

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
THEME_ATTRIBUTES = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")


@pytest.fixture(scope="module")
def report():
    return sample_report()


@pytest.fixture(scope="module")
def data(report) -> bytes:
    return render_docx(report)


@pytest.fixture(scope="module")
def document(data):
    return docx.Document(io.BytesIO(data))


def body_items(document):
    """Paragraphs and tables of the body, in order."""
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            yield DocxParagraph(child, document)
        elif child.tag == qn("w:tbl"):
            yield DocxTable(child, document)


def test_title_and_headings_in_order(document, report):
    paragraphs = document.paragraphs
    assert (paragraphs[0].style.name, paragraphs[0].text) == ("Title", report.title)
    assert (paragraphs[1].style.name, paragraphs[1].text) == ("Subtitle", report.subtitle)
    assert paragraphs[2].style.name == "Lead" and paragraphs[2].text.startswith("为了解辖区群众安全感")
    headings = [(p.style.name, p.text) for p in paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        ("Heading 1", "一、调研基本情况"),
        ("Heading 1", "二、调研结果"),
        ("Heading 2", "（一）群众安全感"),
        ("Heading 2", "（二）社区警务工作评价"),
        ("Heading 3", "1.满意率与满意度得分"),
        ("Heading 1", "三、存在的主要问题"),
        ("Heading 1", "附件1 主要指标统计表"),
    ]
    appendix = next(p for p in paragraphs if p.text.startswith("附件1"))
    assert appendix.paragraph_format.page_break_before


def test_body_list_and_note_styles(document):
    by_text = {p.text: p.style.name for p in document.paragraphs}
    assert by_text["满意度得分为78.4分（95%置信区间77.6～79.2分）。"] == "Normal"
    assert by_text["一是见警率偏低，47.9%的受访者近3个月每周见到巡逻不足一次；"] == "List Paragraph"
    assert by_text["二是丹霞社区熟识率明显低于全区平均水平。"] == "List Paragraph"
    assert by_text["注：安全感率以有效回答为基数，不含“说不清”。"] == "Note"
    assert document.styles["Note"].font.size < document.styles["Normal"].font.size
    assert "某区公安分局（示例）" in by_text and "2027年1月" in by_text


def test_tables_are_three_line_tables(document, report):
    expected = report.tables()[0]
    assert len(document.tables) == 2          # the body table and its copy in the appendix
    for table in document.tables:
        cells = [tuple(cell.text for cell in row.cells) for row in table.rows]
        assert cells == [expected.header, *expected.rows]
        borders = table._tbl.tblPr.find(qn("w:tblBorders"))
        sides = {child.tag.split("}")[1]: (child.get(qn("w:val")), child.get(qn("w:sz"))) for child in borders}
        assert sides["top"] == sides["bottom"] == ("single", "12")          # 1.5 pt
        assert all(sides[side][0] == "nil" for side in ("left", "right", "insideH", "insideV"))
        header_bottoms = table.rows[0]._tr.xpath("./w:tc/w:tcPr/w:tcBorders/w:bottom")
        assert len(header_bottoms) == len(expected.header)
        assert {(b.get(qn("w:val")), b.get(qn("w:sz"))) for b in header_bottoms} == {("single", "6")}   # 0.75 pt
        cell_lines = table._tbl.xpath(".//w:tcBorders/*[not(self::w:bottom)] | .//w:tr[position()>1]//w:tcBorders")
        assert cell_lines == []               # no vertical lines, no other inner lines
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        for row in table.rows[1:]:
            assert row._tr.trPr.find(qn("w:tblHeader")) is None
            alignments = [cell.paragraphs[0].alignment for cell in row.cells]
            assert alignments == [WD_ALIGN_PARAGRAPH.LEFT] + [WD_ALIGN_PARAGRAPH.RIGHT] * 3
            assert all(cell.paragraphs[0].style.name == "Table Text" for cell in row.cells)
        assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
        assert document.styles["Table Text"].font.size.pt <= 12


def test_captions_above_tables_and_below_figures(document):
    items = list(body_items(document))
    for index, item in enumerate(items):
        if isinstance(item, DocxTable):
            caption, after = items[index - 1], items[index + 1]
            assert (caption.style.name, caption.text) == ("Caption", "表1 主要指标（2026年第四季度）")
            assert caption.paragraph_format.keep_with_next
            assert after.style.name == "Note"
        elif item._p.xpath(".//w:drawing"):
            caption = items[index + 1]
            assert (caption.style.name, caption.text) == ("Caption", "图1 各社区见警率（%）")
            assert item.alignment == WD_ALIGN_PARAGRAPH.CENTER
    captions = [p.text[:2] for p in document.paragraphs if p.style.name == "Caption"]
    assert captions == ["表1", "图1", "表1"]


def test_one_inline_image_at_its_width_with_alt_text(document, report):
    assert len(document.inline_shapes) == 1
    shape = document.inline_shapes[0]
    assert abs(shape.width - Mm(report.figures()[0].width_cm * 10)) < Mm(0.1)
    assert shape._inline.docPr.get("descr") == "柱状图：各社区见警率"


def test_fonts_are_official_east_asian_faces_without_theme_fonts(document):
    def east_asia(name):
        return document.styles[name].element.rPr.rFonts.get(qn("w:eastAsia"))

    assert east_asia("Normal") == "仿宋_GB2312" == FONTS["body"][0]
    assert east_asia("Title") == "方正小标宋简体"
    assert east_asia("Heading 1") == "黑体"
    assert east_asia("Heading 2") == "楷体_GB2312"
    assert east_asia("Heading 3") == east_asia("Heading 4") == "仿宋_GB2312"
    assert document.styles["Normal"].font.size.pt == 16 and document.styles["Title"].font.size.pt == 22
    assert document.styles["Normal"].paragraph_format.line_spacing.pt == 28
    styles_xml = document.styles.element.xml
    assert not any(f"w:{attribute}=" in styles_xml for attribute in THEME_ATTRIBUTES)
    assert all(official and fallback for official, fallback in FONTS.values())
    assert all(f"<family>{official}</family>" in fontconfig_conf() for official, _ in FONTS.values())


def test_a4_page_margins_and_page_number_field(document):
    section = document.sections[0]
    sizes = (section.page_width, section.page_height, section.top_margin, section.bottom_margin,
             section.left_margin, section.right_margin)
    assert [round(size.mm, 1) for size in sizes] == [210, 297, 37, 35, 28, 26]     # stored in twips
    footer = section.footer.paragraphs[0]
    assert [i.text.strip() for i in footer._p.xpath(".//w:instrText")] == ["PAGE"]
    assert footer.text.startswith("— ") and footer.text.endswith(" —")
    assert footer.style.name == "Footer" and footer.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_core_properties_carry_provenance(document, report):
    properties = document.core_properties
    assert properties.title == report.title
    assert properties.author == report.organisation
    assert properties.subject == "基于1,938份有效问卷的分析"
    assert properties.keywords
    assert json.loads(properties.comments) == {k: v for k, v in report.meta.items() if k in ("data_checksum", "software")}
    assert properties.created == properties.modified == datetime(2000, 1, 1, tzinfo=timezone.utc)


def test_output_is_deterministic(data, report):
    assert render_docx(report) == data
    stamped = dataclasses.replace(report, meta={**report.meta, "generated_at": "2027-01-05T08:30:00+08:00"})
    reopened = docx.Document(io.BytesIO(render_docx(stamped)))
    assert reopened.core_properties.created == datetime(2027, 1, 5, 0, 30, tzinfo=timezone.utc)


def test_libreoffice_renders_chinese(data, tmp_path):
    office = shutil.which("soffice") or shutil.which("libreoffice")
    assert office, "LibreOffice is needed (make test installs libreoffice-writer-nogui)"
    (tmp_path / "report.docx").write_bytes(data)
    (tmp_path / "fonts.conf").write_text(fontconfig_conf(), encoding="utf-8")
    environment = {**os.environ, "FONTCONFIG_FILE": str(tmp_path / "fonts.conf")}
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "report.docx")],
                   check=True, capture_output=True, timeout=180, env=environment)
    pdf = tmp_path / "report.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"CJK|WenQuanYi|Hei|Song|Kai|Fang", fonts), fonts
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("report-docx-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "3", str(pdf), str(SCREENSHOTS / "report-docx")],
                   check=True, timeout=60)
    assert sorted(SCREENSHOTS.glob("report-docx-*.png"))
