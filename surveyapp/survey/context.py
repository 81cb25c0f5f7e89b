"""Everything a survey page needs about its questionnaire, loaded once per request.

The questionnaire's compiled form, pages and client definition are cached
per version checksum, so a page costs one small query.
"""

from __future__ import annotations

import functools
import json
from collections import ChainMap
from dataclasses import dataclass, field
from typing import Any

from flask import abort, render_template, request
from markupsafe import Markup

from surveyapp import responses
from surveyapp.i18n import request_language
from surveyapp.questionnaire.compiled import Compiled
from surveyapp.questionnaire.messages import pick
from surveyapp.questionnaire.schema import Question, Repeat
from surveyapp.questionnaire.validate import FieldError, Validation, validate
from surveyapp.survey import inputs, markup, rosters
from surveyapp.survey.client import client_definition
from surveyapp.survey.formdata import hidden_fields
from surveyapp.survey.pages import Page, displayed, shown, split_pages


# Both depend only on the version's content, so they are kept per checksum.
_page_cache: dict[str, tuple[Page, ...]] = {}
_client_cache: dict[tuple[str, str], str] = {}
_start_cache: dict[tuple[str, str, int], Markup] = {}


def _pages(checksum: str, compiled: Compiled) -> tuple[Page, ...]:
    if checksum not in _page_cache:
        _page_cache[checksum] = tuple(split_pages(compiled.questionnaire))
    return _page_cache[checksum]


def _client_json(checksum: str, compiled: Compiled, language: str) -> str:
    key = (checksum, language)
    if key not in _client_cache:
        definition = client_definition(compiled, list(_pages(checksum, compiled)), language)
        text = json.dumps(definition, ensure_ascii=False, separators=(",", ":"))
        # Escaped so that no label can close the <script> element it sits in.
        _client_cache[key] = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _client_cache[key]


@dataclass
class SurveyContext:
    """One request's view of a questionnaire."""

    form_id: str
    target: responses.Target
    compiled: Compiled
    language: str
    channel: str | None
    mode: str = "self"
    pages: tuple[Page, ...] = field(default=())

    @property
    def questionnaire(self):
        return self.compiled.questionnaire

    @functools.cached_property
    def questions(self) -> list[Question]:
        """Every question in document order (read several times per request)."""
        return self.questionnaire.questions()

    @functools.cached_property
    def repeats(self) -> list[Repeat]:
        """Every roster, in document order."""
        return self.questionnaire.repeats()

    @property
    def state(self) -> str:
        return self.target.state

    @property
    def title(self) -> str:
        return pick(self.questionnaire.title, self.language)

    @property
    def language_param(self) -> str | None:
        """?lang= to keep in links, only when it differs from the questionnaire's default."""
        return self.language if self.language != self.questionnaire.default_language else None

    @property
    def mode_param(self) -> str | None:
        return "interview" if self.mode == "interview" else None

    @property
    def one_per_device(self) -> bool:
        return self.mode == "self" and not self.questionnaire.allow_multiple

    @property
    def device_cookie(self) -> str:
        return f"sa_done_{self.form_id}"

    def answered_on_this_device(self) -> bool:
        return self.one_per_device and request.cookies.get(self.device_cookie) == "1"

    def text(self, texts: dict | None) -> str:
        """A questionnaire text in the page's language."""
        return pick(texts, self.language)

    def label(self, texts: dict | None, answers, block: bool = False) -> Markup:
        """A label, hint or note as safe HTML, each ``${name}`` showing that earlier answer
        (inside a roster entry, ``answers`` sees the entry's own answers first)."""
        html = (markup.render if block else markup.render_inline)(self.text(texts))
        return markup.with_references(html, lambda name: self.answer_text(name, answers))

    def answer_text(self, name: str, answers) -> str:
        """How an answer reads in a label: a choice's label, several joined by 、."""
        value = answers.get(name)
        if isinstance(answers, ChainMap) and name in self.compiled_members:
            value = answers.maps[0].get(name)  # inside an entry, a sibling: this entry's answer
        elif value is None and name in self.compiled_members:
            value = [entry.get(name) for entry in answers.get(self.compiled_members[name]) or []]
        values = value if isinstance(value, list) else [value]
        options = self.compiled.options.get(name) or {}
        texts = [self.text(options[v].label) if v in options else str(v) for v in values
                 if v not in (None, "") and not isinstance(v, dict)]
        return "、".join(texts)

    @functools.cached_property
    def compiled_members(self) -> dict[str, str]:
        """roster question name -> its roster's name."""
        return {q.name: r.name for r in self.repeats for q in r.questions()}

    def scope(self, entry: dict, answers) -> ChainMap:
        """What a roster entry's questions see: the entry's answers, then the response's."""
        return ChainMap(entry if isinstance(entry, dict) else {}, answers)

    everything = rosters.EVERYTHING

    def range_of(self, question: Question) -> inputs.RangeChoice:
        return inputs.range_choice(question, self.language)

    def displayed(self, question: Question) -> bool:
        return displayed(question)

    def channel_label(self) -> str:
        found = next((c for c in self.questionnaire.channels if c.code == self.channel), None)
        return pick(found.label, self.language) if found else ""

    def client_json(self) -> str:
        return _client_json(self.target.checksum, self.compiled, self.language)

    # --- page navigation ---------------------------------------------------

    def page_index(self, raw: str | None) -> int:
        try:
            return min(max(int(raw or 0), 0), len(self.pages) - 1)
        except ValueError:
            return 0

    def next_page(self, index: int, result: Validation) -> int | None:
        """The next page with something relevant on it, or None after the last."""
        return next((p.index for p in self.pages[index + 1:] if shown(p, result.relevant)), None)

    def previous_page(self, index: int, result: Validation) -> int:
        earlier = [p.index for p in self.pages[:index] if shown(p, result.relevant)]
        return earlier[-1] if earlier else 0

    def first_page_with(self, errors: list[FieldError]) -> int:
        return next((p.index for p in self.pages if any(p.owns(e.field) for e in errors)), 0)

    def submittable(self, result: Validation) -> dict[str, Any]:
        """The cleaned answers to submit (calculations are recomputed on submission)."""
        calculated = {q.name for q in self.questions if q.type == "calculate"}
        return {name: value for name, value in result.values.items() if name not in calculated}

    # --- rendering -----------------------------------------------------------

    def render_page(self, index: int, answers: dict, errors: list[FieldError], key: str, started: str,
                    relevance: frozenset[str] | None = None):
        page = self.pages[index]
        answers = dict(answers)
        if any(r.count for r in self.repeats):
            # A counted roster shows as many entries as its count asks for, on any page.
            values = validate(self.compiled, answers, drop_irrelevant=True).values
            if rosters.fit_counts(self.compiled, answers, values, self.repeats):
                relevance = None
        if relevance is None:
            relevance = validate(self.compiled, answers, drop_irrelevant=True).relevant
        visible = [p.index for p in self.pages if shown(p, relevance)] or [0]
        position = visible.index(index) + 1 if index in visible else 1
        shown_errors = {e.field: e.text(self.language) for e in errors}
        here = page.names() | {r.name for r in page.repeats()}
        return render_template(
            "survey/page.html", ctx=self, page=page, relevant=relevance, errors=shown_errors, key=key,
            started=started, hidden=hidden_fields(self.questions, answers, here, self.repeats),
            shown_fields=page.fields(relevance), position=position,
            total=len(visible), is_last=index == visible[-1],
            pages_html=self.pages_html(page, answers, relevance, shown_errors),
        )

    def pages_html(self, page: Page, answers: dict, relevance: frozenset[str], errors: dict) -> Markup:
        """Every page's questions; for a fresh start (no answers yet) rendered once per version."""
        key = (self.target.checksum, self.language, page.index)
        fresh = not any(answers.values()) and not errors
        if fresh and key in _start_cache:
            return _start_cache[key]
        html = Markup(render_template("survey/pages.html", ctx=self, page=page, answers=answers,
                                      relevant=relevance, errors=errors))
        if fresh:
            _start_cache[key] = html
        return html


def load_context(form_id: str, mode: str = "self") -> SurveyContext:
    """The context for ``form_id``, or a 404 page."""
    try:
        target = responses.find_target(form_id)
    except responses.QuestionnaireNotFound:
        abort(404)
    compiled = responses.compiled_version(target.version_id, target.checksum)
    q = compiled.questionnaire
    language = request_language()
    if language not in q.languages:
        language = q.default_language
    channel = request.args.get("c")
    if channel not in {c.code for c in q.channels}:
        channel = None
    return SurveyContext(form_id, target, compiled, language, channel, mode, _pages(target.checksum, compiled))
