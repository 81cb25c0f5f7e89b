"""Labels and hints as XLSForm's small markdown subset, rendered safely.

A questionnaire is untrusted input. Markdown is rendered with raw HTML
disabled (so any tag a label carries is shown as text), and the result goes
through an allow-list sanitiser (nh3) before it reaches the page.
"""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {"p", "br", "em", "strong", "a", "span", "ul", "ol", "li", "h1", "h2", "h3", "h4"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
SAFE_SCHEMES = {"http", "https", "mailto", "tel"}

_markdown = MarkdownIt("zero", {"html": False, "breaks": True}).enable(["emphasis", "link", "heading", "list", "newline"])


@functools.lru_cache(maxsize=4096)
def render(text: str) -> Markup:
    """Markdown text as sanitised HTML (block), safe to insert into a page."""
    html = _markdown.render(text or "")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=SAFE_SCHEMES,
                      link_rel="noopener noreferrer nofollow")
    return Markup(clean)


@functools.lru_cache(maxsize=4096)
def render_inline(text: str) -> Markup:
    """Markdown text as sanitised inline HTML (no paragraphs), for labels and options."""
    html = _markdown.renderInline(text or "")
    clean = nh3.clean(html, tags={"em", "strong", "a", "span", "br"}, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes=SAFE_SCHEMES, link_rel="noopener noreferrer nofollow")
    return Markup(clean)
