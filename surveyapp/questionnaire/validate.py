"""Server-side validation of a whole set of answers: the authority.

``validate`` walks the questions in evaluation order, deciding relevance,
requirement, allowed (filtered) choices, type and constraint for each, and
computes calculations. It returns the values to store and every error.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from surveyapp.questionnaire import types
from surveyapp.questionnaire.compiled import Compiled
from surveyapp.questionnaire.expressions import Env
from surveyapp.questionnaire.messages import message, pick
from surveyapp.questionnaire.schema import Choice, Question, Text


@dataclass(frozen=True)
class FieldError:
    """An error beside one question (``field`` is the question name)."""

    field: str
    code: str
    params: dict = field(default_factory=dict)
    custom: Text | None = None

    def text(self, language: str | None = None) -> str:
        """The error message in ``language`` (a questionnaire's own message wins)."""
        if self.custom:
            return pick(self.custom, language)
        params = {k: pick(v, language) if isinstance(v, dict) else v for k, v in self.params.items()}
        return message(self.code, language, **params)


@dataclass
class Validation:
    """The outcome: cleaned values of answered questions, and the errors."""

    values: dict[str, Any]
    errors: list[FieldError]
    relevant: frozenset[str] = frozenset()

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(compiled: Compiled, answers: Any, today: str | None = None,
             drop_irrelevant: bool = False) -> Validation:
    """Check ``answers`` ({name: raw value}) against the questionnaire.

    :param drop_irrelevant: ignore answers to questions that are not relevant
        instead of reporting them (a page form cannot know about them in advance).
    """
    if not isinstance(answers, Mapping):
        return Validation({}, [FieldError("answers", "answers_not_object")])
    run = _Run(compiled, answers, today or dt.date.today().isoformat())
    run.drop_irrelevant = drop_irrelevant
    known = {q.name for q in compiled.order}
    for name in answers:
        if name not in known:
            run.errors.append(FieldError(str(name)[:100] or "\"\"", "unknown_question"))
    for question in compiled.order:
        run.question(question)
        run.done.add(question.name)
    for question in run.deferred:
        run.check_constraint(question)
    return Validation(run.values, run.errors, frozenset(run.relevant_names))


class _Run:
    """One validation pass; ``values`` grows as questions are settled."""

    def __init__(self, compiled: Compiled, answers: Mapping, today: str):
        self.compiled = compiled
        self.answers = answers
        self.today = today
        self.values: dict[str, Any] = {}
        # Answers that failed their constraint still count for later relevance,
        # so that a dependent question (an or_other box) is not also reported.
        self.rejected: dict[str, Any] = {}
        self.scope = ChainMap(self.values, self.rejected)
        self.plain_env = Env(self.scope, today=today)
        self.drop_irrelevant = False
        self.relevant_names: list[str] = []
        self.errors: list[FieldError] = []
        self.done: set[str] = set()
        # Constraints that refer to a calculation not computed yet (one that
        # may itself use this answer) are checked once every value is settled.
        self.deferred: list[Question] = []

    def env(self, current: Any = None, row: Mapping[str, str] | None = None) -> Env:
        if current is None and row is None:
            return self.plain_env  # the common case; it sees ``values`` as they grow
        return Env(self.scope, current=current, today=self.today, row=row)

    def relevant(self, question: Question) -> bool:
        conditions = self.compiled.conditions[question.name]
        if not conditions:
            return True
        env = self.plain_env
        return all(expr.evaluate_bool(env) for expr in conditions)

    def question(self, question: Question) -> None:
        qtype = types.get(question.type)
        if not qtype.answerable:
            self.not_answerable(question)
            return
        raw = self.answers.get(question.name)
        relevant = self.relevant(question)
        if relevant:
            self.relevant_names.append(question.name)
        if types.is_empty(raw):
            if relevant and self.required(question):
                self.fail(question, "required", custom=question.required_message)
        elif not relevant:
            if not self.drop_irrelevant:
                self.fail(question, "not_relevant")
        else:
            self.answer(question, qtype, raw)

    def not_answerable(self, question: Question) -> None:
        relevant = self.relevant(question)
        if relevant:
            self.relevant_names.append(question.name)
        if question.type == "calculate":
            if relevant:
                value = self.compiled.expression(question.name, "calculation").evaluate(self.env())
                self.values[question.name] = storable(value)
        elif not types.is_empty(self.answers.get(question.name)):
            self.fail(question, "not_answerable")

    def required(self, question: Question) -> bool:
        if question.required == "true()":
            return True
        expr = self.compiled.expression(question.name, "required")
        return bool(expr and expr.evaluate_bool(self.env()))

    def answer(self, question: Question, qtype: types.QuestionType, raw: Any) -> None:
        try:
            value = qtype.clean(question, raw, self.options(question) if qtype.takes_list else None)
        except types.AnswerError as exc:
            self.fail(question, exc.code, **exc.params)
            return
        # Stored before the constraint runs, which may say ${own_name} as well as ".".
        self.values[question.name] = value
        constraint = self.compiled.expression(question.name, "constraint")
        if constraint is None:
            return
        if constraint.references - self.done - {question.name}:
            self.deferred.append(question)
        else:
            self.check_constraint(question)

    def check_constraint(self, question: Question) -> None:
        """Apply the constraint to the stored answer; a failing one moves to ``rejected``."""
        constraint = self.compiled.expression(question.name, "constraint")
        if not constraint.evaluate_bool(self.env(current=self.values[question.name])):
            self.rejected[question.name] = self.values.pop(question.name)
            self.fail(question, "constraint", custom=question.constraint_message)

    def options(self, question: Question) -> dict[str, Choice]:
        """The choices offered, after the question's choice_filter."""
        options = self.compiled.options[question.name]
        expr = self.compiled.expression(question.name, "choice_filter")
        if expr is None:
            return options
        return {value: choice for value, choice in options.items()
                if value == "other" and question.or_other
                or expr.evaluate_bool(self.env(row=filter_row(choice)))}

    def fail(self, question: Question, code: str, /, custom: Text | None = None, **params: Any) -> None:
        self.errors.append(FieldError(question.name, code, params, custom or None))


def filter_row(choice: Choice) -> dict[str, str]:
    """The columns a choice_filter sees; the loader allows ``label`` too."""
    return {"name": choice.value, "label": pick(choice.label), **choice.columns}


def storable(value: Any) -> Any:
    """A calculation result as JSON can hold it (no NaN or infinity)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    return None if value == "" else value
