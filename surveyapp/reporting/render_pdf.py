"""The report as PDF: the HTML of render_html laid out by WeasyPrint (A4, GB/T 9704-like).

PDF metadata come from the HTML head: title, author (the organisation), keywords, subject
(the subtitle). The PDF is tagged (structure and alt text for screen readers). It is
deterministic: WeasyPrint writes no dates and no /ID unless asked, so the same report gives
the same bytes with the same WeasyPrint and fonts (checked by tests/reporting/test_render_pdf.py).
Only data: URIs and files under the layouts folder are fetched; nothing from the network.
The provenance block names the fonts the layout resolves to on this machine (meta["fonts"]).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint import HTML, URLFetcher

from surveyapp.reporting.document import Paragraph, Report, Section, Table
from surveyapp.reporting.render_html import LAYOUTS, render_html, report_css


class _LocalFetcher(URLFetcher):
    """Refuses everything but data: URIs and files inside the layouts folder."""

    def __init__(self, root: Path):
        super().__init__(allowed_protocols=("data", "file"))
        self.root = root

    def fetch(self, url, headers=None):
        if url.startswith("file:") and not Path(url2pathname(urlsplit(url).path)).resolve().is_relative_to(self.root):
            raise ValueError(f"outside the layouts folder: {url}")
        return super().fetch(url, headers)


def _document(report: Report, root: Path):
    html = render_html(report, standalone=True, layouts_dir=root)
    # presentational hints: the <img width> attribute sizes the charts (no inline styles, for the CSP)
    return HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=_LocalFetcher(root)).render(
        presentational_hints=True)


@lru_cache(maxsize=4)
def layout_fonts(root: Path, css: str = "") -> tuple[str, ...]:
    """The font families the stylesheet resolves to here, from a small document with every element.

    Cached per layouts folder and stylesheet text (``css`` is only the cache key)."""
    table = Table("t", "表题", ("项目", "数值"), (("甲", "1"),), ("注：说明",), (False, True), 1)
    leaf = Section("c", "三级标题", (Paragraph("正文"), table), label="1.")
    probe = Report("标题", "——副标题", (Paragraph("导语", kind="lead"),), (Section("a", "一级标题", children=(
        Section("b", "二级标题", children=(leaf,), label="（一）"),), label="一、"),), meta={"n": 1})
    document = _document(probe, root)
    document.write_pdf()   # fonts are collected while writing
    return tuple(sorted({font.family for font in document.fonts.values()}))


def render_pdf(report: Report, *, layouts_dir: Path | None = None) -> bytes:
    """The report as PDF bytes."""
    root = Path(layouts_dir or LAYOUTS).resolve()
    if "fonts" not in report.meta:
        report = replace(report, meta={**report.meta, "fonts": layout_fonts(root, report_css(root))})
    return _document(report, root).write_pdf(pdf_tags=True)   # tagged: headings, tables, figure alt text
