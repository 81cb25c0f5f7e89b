"""Problems found in a questionnaire file, reported all at once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from surveyapp.questionnaire.messages import message, pick

_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
SUBJECTS = {"question": ("题目", "question"), "indicator": ("指标", "indicator"), "wave": ("调查期", "wave"),
            "margin": ("加权变量", "margin")}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a questionnaire file, with where it is."""

    source: str
    location: str
    code: str
    params: dict = field(default_factory=dict)
    question: str | None = None
    subject: str = "question"

    def text(self, language: str | None = None) -> str:
        """The problem as one line: file, location, question (or indicator…) and what is wrong."""
        parts = [self.source, self.location]
        if self.question:
            zh, en = SUBJECTS.get(self.subject, SUBJECTS["question"])
            parts.append(f"{zh if (language or 'zh') == 'zh' else en} '{self.question}'")
        # A parameter may itself be translated ({"zh": ..., "en": ...}), e.g. the
        # reason a default value is invalid.
        params = {k: pick(v, language) if isinstance(v, dict) else v for k, v in self.params.items()}
        parts.append(message(self.code, language, **params))
        # One line per problem, even when a quoted cell or a reader's detail has line breaks.
        return _LINE_BREAKS.sub(" ", ": ".join(p for p in parts if p))

    def __str__(self) -> str:
        return self.text()


class QuestionnaireError(Exception):
    """A questionnaire file was rejected; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.text() for p in problems))

    def report(self, language: str | None = None) -> str:
        """Every problem, one per line, in ``language``."""
        return "\n".join(p.text(language) for p in self.problems)
