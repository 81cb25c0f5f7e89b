"""The report as HTML: one document for the web view (printable) and for the PDF.

The layout is ``layouts/templates/report.html.j2`` with ``layouts/report.css`` inlined, both
editable by a researcher. Text is autoescaped; charts are embedded as data: URIs, so the page
needs nothing from the network. ``standalone=False`` gives only the ``<article>`` for embedding
in an app page (which then serves report.css itself: the app's CSP forbids inline styles).
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from surveyapp.reporting.layout import LAYOUTS
from surveyapp.reporting.document import Figure, ItemList, Paragraph, Report, Table, provenance_rows

FONT_FALLBACKS = ("方正小标宋简体、黑体、楷体、仿宋（公文字体）；缺失时依次使用 Noto Serif CJK SC、Noto Sans CJK SC、"
                  "WenQuanYi Micro Hei")
"""The fonts the stylesheet asks for, named in the provenance of the web view (the PDF names those it embedded)."""

@lru_cache(maxsize=8)
def _environment(layouts_dir: Path) -> Environment:
    env = Environment(loader=FileSystemLoader(layouts_dir / "templates"), autoescape=select_autoescape(
        ["html", "j2"], default_for_string=True), auto_reload=True)
    env.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    env.tests.update(paragraph=lambda b: isinstance(b, Paragraph), item_list=lambda b: isinstance(b, ItemList),
                     table=lambda b: isinstance(b, Table), figure=lambda b: isinstance(b, Figure))
    return env


def keywords(report: Report) -> list[str]:
    """PDF/HTML keywords: 调研报告 and meta["keywords"] (a list, or a string split at ；,、)."""
    extra = report.meta.get("keywords") or ()
    extra = re.split(r"[；;，,、\s]+", extra) if isinstance(extra, str) else extra
    return list(dict.fromkeys(["调研报告", *(str(word) for word in extra if word)]))


def report_css(layouts_dir: Path | None = None) -> str:
    """The report stylesheet (for an app page that embeds the fragment)."""
    return ((layouts_dir or LAYOUTS) / "report.css").read_text(encoding="utf-8")


def render_html(report: Report, *, standalone: bool = True, layouts_dir: Path | None = None) -> str:
    """The report as a whole HTML document, or (``standalone=False``) its ``<article>`` only."""
    layouts_dir = Path(layouts_dir or LAYOUTS).resolve()
    template = _environment(layouts_dir).get_template("report.html.j2")
    seen: dict[str, int] = {}

    def anchor(key: str) -> str:  # unique ids when a table is shown twice (body and appendix)
        seen[key] = seen.get(key, 0) + 1
        return key if seen[key] == 1 else f"{key}-{seen[key]}"

    css = Markup(report_css(layouts_dir)) if standalone else ""
    return template.render(report=report, standalone=standalone, css=css, keywords=keywords(report),
                           meta_rows=provenance_rows({"fonts": FONT_FALLBACKS, **report.meta}), anchor=anchor)
