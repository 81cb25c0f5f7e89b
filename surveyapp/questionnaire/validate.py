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
from surveyapp.questionnaire.expressions import Env, NodeSet, to_number
from surveyapp.questionnaire.messages import message, pick
from surveyapp.questionnaire.schema import Choice, Question, Repeat, Text


@dataclass(frozen=True)
class FieldError:
    """An error beside one question.

    ``field`` is the question name; inside a repeat entry it is ``repeat[n].name`` with
    entries counted from 1, and ``entry`` holds (the repeat's label, n) for the message.
    """

    field: str
    code: str
    params: dict = field(default_factory=dict)
    custom: Text | None = None
    entry: tuple[Text, int] | None = None

    def text(self, language: str | None = None) -> str:
        """The error message in ``language`` (a questionnaire's own message wins)."""
        if self.custom:
            text = pick(self.custom, language)
        else:
            params = {k: pick(v, language) if isinstance(v, dict) else v for k, v in self.params.items()}
            text = message(self.code, language, **params)
        if self.entry is None:
            return text
        label, number = self.entry
        return message("entry_error", language, number=number, label=pick(label, language), message=text)


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
    run.steps(compiled.steps)
    return Validation(run.values, run.errors, frozenset(run.relevant_names))


class _Run:
    """One validation pass; ``values`` grows as questions are settled.

    A repeat entry is validated by a run of its own (``prefix`` names the entry in
    errors) whose scope sees the entry's answers first, then the response's.
    """

    def __init__(self, compiled: Compiled, answers: Mapping, today: str, outer: Mapping | None = None,
                 prefix: str = "", entry: tuple[Text, int] | None = None):
        self.compiled = compiled
        self.answers = answers
        self.today = today
        self.values: dict[str, Any] = {}
        # Answers that failed their constraint still count for later relevance,
        # so that a dependent question (an or_other box) is not also reported.
        self.rejected: dict[str, Any] = {}
        # What the response's expressions see of repeats: each question's answers over the entries.
        self.nodes: dict[str, NodeSet] = {}
        self.scope = ChainMap(self.values, self.rejected, *([outer] if outer is not None else [self.nodes]))
        self.position = entry[1] if entry else None
        self.plain_env = Env(self.scope, today=today, position=self.position)
        self.prefix, self.entry = prefix, entry
        self.drop_irrelevant = False
        self.relevant_names: list[str] = []
        self.errors: list[FieldError] = []
        self.done: set[str] = set()
        # Constraints that refer to a calculation not computed yet (one that
        # may itself use this answer) are checked once every value is settled.
        self.deferred: list[Question] = []

    def steps(self, steps) -> None:
        """Check every question (and repeat) of ``steps``, then the deferred constraints."""
        known = {step.name for step in steps}
        for name in self.answers:
            if name not in known:
                self.errors.append(FieldError(self.prefix + (str(name)[:100] or "\"\""), "unknown_question",
                                              entry=self.entry))
        for step in steps:
            if isinstance(step, Repeat):
                self.repeat(step)
            else:
                self.question(step)
            self.done.add(step.name)
        for question in self.deferred:
            self.check_constraint(question)

    def env(self, current: Any = None, row: Mapping[str, str] | None = None) -> Env:
        if current is None and row is None:
            return self.plain_env  # the common case; it sees ``values`` as they grow
        return Env(self.scope, current=current, today=self.today, row=row, position=self.position)

    # --- repeats -------------------------------------------------------------

    def repeat(self, repeat: Repeat) -> None:
        """A roster: a list of entries, each checked like a small response of its own."""
        raw = self.answers.get(repeat.name)
        relevant = self.relevant(repeat)
        if relevant:
            self.relevant_names.append(repeat.name)
        entries = [] if raw is None else raw
        if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
            self.fail(repeat, "expected_entries")
            return
        if not relevant:
            if entries and not self.drop_irrelevant:
                self.fail(repeat, "not_relevant")
            self.publish(repeat, [])
            return
        count = self.entry_count(repeat)
        if count is not None and len(entries) != count:
            self.fail(repeat, "wrong_entry_count", expected=count, given=len(entries))
        order = self.compiled.entry_order[repeat.name]
        stored = []
        for number, entry in enumerate(entries, start=1):
            run = _Run(self.compiled, entry, self.today, ChainMap(self.values, self.rejected, self.nodes),
                       f"{self.prefix}{repeat.name}[{number}].", (repeat.label, number))
            run.drop_irrelevant = self.drop_irrelevant
            run.steps(order)
            self.errors.extend(run.errors)
            self.relevant_names.extend(f"{repeat.name}[{number}].{name}" for name in run.relevant_names)
            stored.append(run.values)
        self.values[repeat.name] = stored
        self.publish(repeat, stored)

    def entry_count(self, repeat: Repeat) -> int | None:
        """How many entries ``repeat_count`` asks for (None: as many as the respondent adds)."""
        expr = self.compiled.expression(repeat.name, "count")
        if expr is None:
            return None
        number = to_number(expr.evaluate(self.env()))
        return int(number) if math.isfinite(number) and number > 0 else 0

    def publish(self, repeat: Repeat, entries: list[dict]) -> None:
        """Make the entries' answers visible to the response's later expressions."""
        self.nodes[repeat.name] = NodeSet("" for _ in entries)
        for question in repeat.questions():
            self.nodes[question.name] = NodeSet(entry.get(question.name) for entry in entries)

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
        if question.type in ("calculate", "hidden"):
            if relevant:  # a value sent for it is replaced by the server's own
                self.values[question.name] = self.computed(question)
        elif not types.is_empty(self.answers.get(question.name)):
            self.fail(question, "not_answerable")

    def computed(self, question: Question) -> Any:
        """A calculation's value; a hidden question's (or a calculation's) default when it has none."""
        expr = self.compiled.expression(question.name, "calculation")
        if expr is not None:
            return storable(expr.evaluate(self.env()))
        return question.default

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
        # Every row counts: with allow_choice_duplicates one value may stand in several rows.
        rows = self.compiled.questionnaire.choices.get(question.list_name or "", ())
        offered = {c.value for c in rows if expr.evaluate_bool(self.env(row=filter_row(c)))}
        return {value: choice for value, choice in options.items()
                if value in offered or value == "other" and question.or_other}

    def fail(self, question: Question | Repeat, code: str, /, custom: Text | None = None, **params: Any) -> None:
        self.errors.append(FieldError(self.prefix + question.name, code, params, custom or None, self.entry))


def filter_row(choice: Choice) -> dict[str, str]:
    """The columns a choice_filter sees; the loader allows ``label`` too."""
    row = {"name": choice.value, "label": pick(choice.label), **choice.columns}
    row.update((f"label::{language}", text) for language, text in choice.label.items())
    return row


def storable(value: Any) -> Any:
    """A calculation result as JSON can hold it (no NaN or infinity)."""
    if isinstance(value, NodeSet):
        value = value[0] if value else ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    return None if value == "" else value
