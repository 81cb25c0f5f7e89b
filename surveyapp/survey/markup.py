"""Labels and hints as XLSForm's small markdown subset, rendered safely.

A questionnaire is untrusted input. Markdown is rendered with raw HTML
disabled (so any tag a label carries is shown as text), and the result goes
through an allow-list sanitiser (nh3) before it reaches the page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

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


_REFERENCE = re.compile(r"\$\{([A-Za-z_][\w.-]*)\}")


def with_references(html: Markup, answer_text: Callable[[str], str]) -> Markup:
    """Rendered ``html`` with each ``${name}`` replaced by the escaped text of that answer,
    in a ``<span data-ref>`` that the page's script keeps up to date."""
    if "${" not in html:
        return html

    def replace(found: re.Match) -> str:
        name = found.group(1)
        return f'<span class="ref" data-ref="{escape(name)}">{escape(answer_text(name))}</span>'

    return Markup(_REFERENCE.sub(replace, str(html)))
