"""Checks shared by the report tests."""

from __future__ import annotations

import re

from surveyapp.reporting.document import Paragraph


def paragraphs(report) -> list[str]:
    """The text of every paragraph of a report, in order."""
    return [b.text for b in report.blocks() if isinstance(b, Paragraph)]


def assert_wording_follows_significance(text: str) -> None:
    """Every 提高/下降 has p < 0.05 and every 变化不显著 has p ≥ 0.05."""
    for match in re.finditer(r"(提高|下降)[\d.]+(个百分点|分)（p([＝＜])([\d.]+)）", text):
        assert match[3] == "＜" or float(match[4]) < 0.05, match[0]
    for match in re.finditer(r"变化不显著（[+−±][\d.]+(个百分点|分)，p＝([\d.]+)）", text):
        assert float(match[2]) >= 0.05, match[0]


def render_every_format(report) -> dict:
    """The report in docx, pdf, html and md; checks each is well formed and free of stray values
    (nan, None, unfilled placeholders, empty clauses). Returns {format: bytes or text}."""
    from surveyapp import reports

    docx, pdf, html = (reports.render(report, fmt) for fmt in ("docx", "pdf", "html"))
    markdown, figures = reports.render(report, "md")
    assert docx[:2] == b"PK" and pdf[:5] == b"%PDF-" and len(figures) == len(report.figures())
    page = html.decode("utf-8")
    assert report.title in page and "五、对策建议" in markdown and "附件" in markdown
    for text in (markdown, page):
        assert not re.search(r"\bnan\b|\bNone\b|\{\w+\}|，。|：。", text)
    return {"docx": docx, "pdf": pdf, "html": page, "md": markdown}
