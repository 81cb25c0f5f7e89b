"""The report as PDF: the HTML of render_html laid out by WeasyPrint (A4, GB/T 9704-like).

PDF metadata come from the HTML head: title, author (the organisation), keywords, subject
(the subtitle). The output is deterministic: WeasyPrint writes no dates and no /ID unless asked,
so the same report gives the same bytes (checked by tests/reporting/test_render_pdf.py).
Only data: URIs and files under the layouts folder are fetched; nothing from the network.
"""

from __future__ import annotations

from pathlib import Path

from weasyprint import HTML, URLFetcher

from surveyapp.reporting.document import Report
from surveyapp.reporting.render_html import LAYOUTS, render_html


class _LocalFetcher(URLFetcher):
    """Refuses everything but data: URIs and files inside the layouts folder."""

    def __init__(self, root: Path):
        super().__init__(allowed_protocols=("data", "file"))
        self.root = root

    def fetch(self, url, headers=None):
        response = super().fetch(url, headers)
        if url.startswith("file:") and not Path(response.path).resolve().is_relative_to(self.root):
            response.close()
            raise ValueError(f"outside the layouts folder: {url}")
        return response


def render_pdf(report: Report, *, layouts_dir: Path | None = None) -> bytes:
    """The report as PDF bytes."""
    root = Path(layouts_dir or LAYOUTS).resolve()
    html = render_html(report, standalone=True, layouts_dir=root)
    document = HTML(string=html, base_url=str(root) + "/", url_fetcher=_LocalFetcher(root))
    return document.write_pdf(presentational_hints=True)  # hints: <img width> sizes the charts
