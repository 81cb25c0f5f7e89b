"""The report's HTML: structure, labels, the three-line table, figures, escaping, no network."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from surveyapp.reporting.document import Paragraph, Section
from surveyapp.reporting.render_html import render_html
from tests.reporting.sample import sample_report



class Outline(HTMLParser):
    """Start tags in order (with attributes), and the text of every h1–h6, caption and figcaption."""

    TEXT_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "caption", "figcaption", "dt", "dd"}

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.texts: list[tuple[str, str]] = []
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in self.TEXT_TAGS:
            self._open.append(tag)
            self.texts.append((tag, ""))

    def handle_endtag(self, tag):
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data):
        if self._open:
            tag, text = self.texts[-1]
            self.texts[-1] = (tag, text + data)

    def order(self) -> list[str]:
        return [tag for tag, _ in self.tags]


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(sample_report())


def test_document_head(html):
    assert html.startswith("<!doctype html>")
    assert '<html lang="zh-CN">' in html
    assert "<title>某区2026年第四季度社区治安与警务满意度调研报告</title>" in html
    assert '<meta name="author" content="某区公安分局（示例）">' in html
    assert '<meta name="keywords" content="调研报告">' in html
    assert "<style>" in html and "@page" in html and "&#34;" not in html.split("</style>")[0]


def test_headings_in_order_with_labels(html):
    headings = [(tag, text) for tag, text in Outline(html).texts if tag[0] == "h"]
    assert headings == [
        ("h1", "某区2026年第四季度社区治安与警务满意度调研报告"),
        ("h2", "一、调研基本情况"), ("h2", "二、调研结果"),
        ("h3", "（一）群众安全感"), ("h3", "（二）社区警务工作评价"), ("h4", "1.满意率与满意度得分"),
        ("h2", "三、存在的主要问题"), ("h2", "附件1 主要指标统计表"), ("h2", "数据与生成信息")]


def test_three_line_table_caption_rows_notes(html):
    outline = Outline(html)
    order = outline.order()
    start = order.index("table")
    table = order[start:order.index("figure")]
    assert table.index("caption") < table.index("thead") < table.index("tbody") < table.index("tfoot")
    assert ("caption", "表1主要指标（2026年第四季度）") in outline.texts
    assert '<th scope="col" class="num">数值</th>' in html
    assert '<th scope="row">安全感率</th><td class="num">93.8%</td>' in html
    assert re.search(r"<tfoot><tr><td colspan=\"4\"><p>注：安全感率以有效回答为基数", html)


def test_figure_embedded_with_caption_below(html):
    report = sample_report()
    outline = Outline(html)
    order = outline.order()
    figure = order[order.index("figure"):]
    assert figure.index("img") < figure.index("figcaption")
    image = next(attrs for tag, attrs in outline.tags if tag == "img")
    assert image["alt"] == "柱状图：各社区见警率"
    assert image["width"] == "567"                          # 15 cm at 96 px per inch
    assert image["src"].startswith("data:image/png;base64,")
    assert base64.b64decode(image["src"].split(",", 1)[1]) == report.figures()[0].png
    assert ("figcaption", "图1各社区见警率（%）") in outline.texts


def test_ids_are_unique(html):
    ids = [attrs["id"] for _, attrs in Outline(html).tags if "id" in attrs]
    assert len(ids) == len(set(ids)) and "t_headline" in ids and "t_headline-2" in ids


def test_no_external_references(html):
    for tag, attrs in Outline(html).tags:
        for name in ("src", "href", "action", "poster"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*(https?:)?//", value), (tag, name, value)
    assert "http://" not in html and "https://" not in html and "@import" not in html
    assert "<script" not in html and "<link" not in html


def test_text_is_escaped():
    report = sample_report()
    hostile = Paragraph('<script>alert("x")</script> & <b>粗体</b>')
    report = replace(report, title="<script>标题</script>", preface=(hostile,))
    html = render_html(report)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;粗体&lt;/b&gt;" in html
    assert "<title>&lt;script&gt;标题&lt;/script&gt;</title>" in html


def test_fragment_for_embedding():
    fragment = render_html(sample_report(), standalone=False)
    assert fragment.startswith('<article class="report" lang="zh-CN">') and fragment.endswith("</article>")
    assert "<html" not in fragment and "<style" not in fragment and "<head>" not in fragment
    assert "<h1>某区2026年第四季度社区治安与警务满意度调研报告</h1>" in fragment


def test_provenance_block(html):
    texts = Outline(html).texts
    assert ("dt", "有效样本量") in texts and ("dd", "1,938") in texts
    assert ("dd", "0" * 64) in texts and ("dt", "生成软件") in texts
    meta = {"software": "SurveyApp 0.1.0", "versions": [1, 2], "n_valid": 1938, "data_cutoff": "2026-12-31T23:59:00",
            "fonts": ("Noto Sans CJK SC", "Noto Serif CJK SC"), "quality": {"flagged": 3}, "keywords": "社区治安；满意度"}
    html = render_html(replace(sample_report(), meta=meta))
    pairs = [(tag, text) for tag, text in Outline(html).texts if tag in ("dt", "dd")]
    assert pairs == [("dt", "问卷版本"), ("dd", "1、2"), ("dt", "数据截止时间"), ("dd", "2026-12-31T23:59:00"),
                     ("dt", "有效问卷（份）"), ("dd", "1,938"), ("dt", "生成软件"), ("dd", "SurveyApp 0.1.0"),
                     ("dt", "字体"), ("dd", "Noto Sans CJK SC、Noto Serif CJK SC")]
    assert '<meta name="keywords" content="调研报告, 社区治安, 满意度">' in html


def test_deep_sections_stop_at_h6():
    deep = Section("d5", "第五层", label="①")
    for depth in (4, 3, 2, 1):
        deep = Section(f"d{depth}", f"第{depth}层", children=(deep,), label=f"L{depth}")
    html = render_html(replace(sample_report(), sections=(deep,), appendices=()))
    assert "<h6><span class=\"label\">①</span><span class=\"title\">第五层</span></h6>" in html
    assert '<h5><span class="label">L4</span>' in html


def test_layouts_dir_override(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "report.html.j2").write_text("<p>{{ report.title }}</p><style>{{ css }}</style>",
                                                          encoding="utf-8")
    (tmp_path / "report.css").write_text('p { font-family: "黑体"; }', encoding="utf-8")
    html = render_html(sample_report(), layouts_dir=tmp_path)
    assert html == '<p>某区2026年第四季度社区治安与警务满意度调研报告</p><style>p { font-family: "黑体"; }</style>'
