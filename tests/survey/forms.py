"""A tiny no-JavaScript browser: reads the live form fields of a survey page."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    """Collects hidden fields and visible question ids outside <template> elements."""

    def __init__(self):
        super().__init__()
        self.depth_template = 0
        self.hidden: list[tuple[str, str]] = []
        self.visible: list[str] = []
        self.errors: dict[str, str] = {}
        self.action = ""
        self._error_for: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "template":
            self.depth_template += 1
        if self.depth_template:
            return
        if tag == "form" and a.get("id") == "survey":
            self.action = a.get("action", "")
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.hidden.append((a["name"], a.get("value", "")))
        if "data-name" in a and "hidden" not in a:
            self.visible.append(a["data-name"])
        if tag == "p" and a.get("class") == "err" and "hidden" not in a:
            self._error_for = a["id"][4:]

    def handle_endtag(self, tag):
        if tag == "template":
            self.depth_template -= 1
        if tag == "p":
            self._error_for = None

    def handle_data(self, data):
        if self._error_for:
            self.errors[self._error_for] = self.errors.get(self._error_for, "") + data


def read_form(html: str) -> _FormReader:
    """Hidden fields, visible question names and shown errors of the live page."""
    reader = _FormReader()
    reader.feed(html)
    return reader


def form_data(page: _FormReader, answers: dict, action: str = "next") -> list[tuple[str, str]]:
    """What a browser without JavaScript posts: hidden fields plus the visible questions' answers."""
    data = [(k, v) for k, v in page.hidden if k not in page.visible]
    for name in page.visible:
        value = answers.get(name)
        if value is None:
            continue
        if value is True:
            value = "OK"
        for item in value if isinstance(value, list) else [value]:
            data.append((name, str(item)))
    return data + [("_action", action)]
