"""Checks of a whole built questionnaire: names unique in file order, defaults valid for their
type, ``${name}`` references in labels and hints, and the expression findings of ``analyse``.

A mixin of the builder (``self.problem`` and ``self.notice`` collect what is found).
"""

from __future__ import annotations

import re

from surveyapp.questionnaire import types
from surveyapp.questionnaire.compiled import analyse, containers
from surveyapp.questionnaire.loops import REFERENCE
from surveyapp.questionnaire.messages import message
from surveyapp.questionnaire.schema import Question, Questionnaire, repeats, walk_all

NOTICE_CODES = frozenset({"missing_filter_column"})
"""Expression findings that pyxform accepts and that only mislead (a filter on a column the list lacks)."""


class WholeChecks:
    """The checks run once the questionnaire is built (see ``builder._Builder``)."""

    def check_questions(self, q: Questionnaire) -> None:
        seen: dict[str, str] = {}
        everything = [question for question, _ in walk_all(q.items)]
        named = [*containers(q.items), *everything]
        generated = {f"{question.name}_other" for question in everything if question.or_other}
        for item in sorted(named, key=lambda i: row_order(i.location)):
            if item.name in generated and item.name in seen:
                self.problem(item.location, "or_other_clash", item.name, name=item.name)
            elif item.name in seen:
                self.problem(item.location, "duplicate_name", item.name, name=item.name, first=seen[item.name])
            elif item.name:
                seen[item.name] = item.location
        for question in everything:
            self.check_default(q, question)
        for repeat in repeats(q.items):
            if not any(True for _ in walk_all(repeat.children)):
                self.problem(repeat.location, "empty_repeat", repeat.name)
        if not everything:
            self.problem(self.raw.settings.location, "no_questions")
        self.check_text_references(q, seen)
        for location, name, code, params in analyse(q):
            if code in NOTICE_CODES:
                self.notice(location, code, name, **params)
            else:
                self.problem(location, code, name, **params)

    def check_text_references(self, q: Questionnaire, names: dict[str, str]) -> None:
        """``${name}`` in a label or hint must name a question of the questionnaire."""
        for question, _ in walk_all(q.items):
            for column in ("label", "hint"):
                texts = getattr(question, column)
                for ref in sorted({r for text in texts.values() for r in REFERENCE.findall(text)}):
                    if ref not in names:
                        self.problem(question.location, "unknown_reference", question.name, column=column, ref=ref)

    def check_default(self, q: Questionnaire, question: Question) -> None:
        qtype = types.get(question.type)
        if question.default is None or not qtype or not qtype.answerable:
            return
        if "${" in question.default or "(" in question.default:
            return  # a dynamic default (an expression), as pyxform allows: it fills nothing here
        allowed = {c.value: c for c in q.choices.get(question.list_name or "", ())}
        try:
            qtype.clean(question, question.default, allowed)
        except types.AnswerError as exc:
            self.problem(question.location, "bad_default", question.name,
                         value=question.default, detail=_plain(exc))


def row_order(location: str) -> int:
    """The row or line number in a location, for reporting duplicates in file order."""
    digits = re.findall(r"\d+", location)
    return int(digits[-1]) if digits else 0


def _plain(exc: types.AnswerError) -> dict[str, str]:
    """The answer error in both languages; ``Problem.text`` picks the reader's."""
    out = {}
    for language in ("zh", "en"):
        params = {k: (v.get(language, "") if isinstance(v, dict) else v) for k, v in exc.params.items()}
        out[language] = message(exc.code, language, **params)
    return out
