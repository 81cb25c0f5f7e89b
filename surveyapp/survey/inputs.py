"""How a range question is offered on a phone: a list of its steps when there are few
enough to pick from, otherwise a number box with its bounds said beside it."""

from __future__ import annotations

from dataclasses import dataclass

from surveyapp.questionnaire.schema import Question
from surveyapp.questionnaire.types import RANGE_DEFAULTS

MAX_STEPS = 101
"""Up to this many steps (0 to 100 by 1) are listed; beyond it the respondent types."""


@dataclass(frozen=True)
class RangeChoice:
    steps: tuple[str, ...]
    text: str


def range_choice(question: Question, language: str) -> RangeChoice:
    """The steps of a range (empty when too many) and the sentence giving its bounds."""
    start, end, step = (_parameter(question, key) for key in ("start", "end", "step"))
    count = int(round((end - start) / step)) + 1 if step and (end - start) / step >= 0 else 0
    steps = tuple(_text(start + i * step) for i in range(count)) if 0 < count <= MAX_STEPS else ()
    if language == "en":
        text = f"From {_text(start)} to {_text(end)}, in steps of {_text(abs(step))}"
    else:
        text = f"从{_text(start)}到{_text(end)}，每档{_text(abs(step))}"
    return RangeChoice(steps, text)


def _parameter(question: Question, key: str) -> float:
    try:
        return float(question.parameters.get(key, RANGE_DEFAULTS[key]))
    except ValueError:
        return float(RANGE_DEFAULTS[key])


def _text(value: float) -> str:
    value = round(value, 9)
    return str(int(value)) if float(value).is_integer() else repr(value)
