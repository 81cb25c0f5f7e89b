"""What the page's JavaScript needs to run the questionnaire on the device.

The browser evaluates the same expressions with the same rules as the server
(``static/survey/expr.js``, tested against the same vectors); this is the
compact definition it works from, with texts in the page's language.
"""

from __future__ import annotations

from surveyapp.questionnaire import types
from surveyapp.questionnaire.compiled import Compiled
from surveyapp.questionnaire.messages import MESSAGES, pick
from surveyapp.questionnaire.schema import Question, Repeat, walk
from surveyapp.survey.pages import Page

CLIENT_MESSAGES = ("required", "constraint", "expected_integer", "expected_number", "expected_date",
                   "expected_time", "expected_datetime", "too_long", "exclusive_choice", "expected_ranking",
                   "expected_acknowledge")


def client_definition(compiled: Compiled, pages: list[Page], language: str) -> dict:
    """Questions (with page, conditions and rules), choices and messages for the browser."""
    q = compiled.questionnaire
    page_of = {question.name: page.index for page in pages for question in page.questions()}
    page_of.update((r.name, page.index) for page in pages for r in page.repeats())
    questions = [_question(question, parents, page_of.get(question.name), compiled, language)
                 for question, parents in walk(q.items)]
    for repeat in q.repeats():
        questions += [{**_question(question, parents, page_of.get(repeat.name), compiled, language),
                       "repeat": repeat.name} for question, parents in walk(repeat.children)]
    return {
        "form_id": q.form_id,
        "pages": len(pages),
        "order": [question.name for question in compiled.order],
        "steps": [step.name for step in compiled.steps],
        "questions": questions,
        "repeats": [_repeat(repeat, page_of.get(repeat.name), compiled, language) for repeat in q.repeats()],
        "messages": {code: MESSAGES[code].get(language) or MESSAGES[code]["zh"] for code in CLIENT_MESSAGES},
        "limits": {"short": types.SHORT_TEXT_LIMIT, "long": types.LONG_TEXT_LIMIT},
    }


def _question(question: Question, parents, page: int | None, compiled: Compiled, language: str) -> dict:
    data = {
        "name": question.name, "type": question.type, "page": page,
        "relevant": [g.relevant for g in parents if g.relevant] + ([question.relevant] if question.relevant else []),
        "required": question.required, "constraint": question.constraint,
        "constraint_message": pick(question.constraint_message, language) or None,
        "required_message": pick(question.required_message, language) or None,
        "choice_filter": question.choice_filter, "calculation": question.calculation,
        "multiline": "multiline" in (question.appearance or ""), "or_other": question.or_other,
    }
    options = compiled.options.get(question.name) or {}
    if options:
        data["choices"] = [{"value": c.value, "columns": c.columns, "exclusive": c.exclusive,
                            "label": pick(c.label, language)} for c in options.values()]
    return {k: v for k, v in data.items() if v not in (None, [], False) or k == "page"}




def _repeat(repeat: Repeat, page: int | None, compiled: Compiled, language: str) -> dict:
    """A roster: its conditions, its count expression and its questions in evaluation order."""
    return {
        "name": repeat.name, "label": pick(repeat.label, language), "page": page,
        "relevant": [expr.source for expr in compiled.conditions.get(repeat.name, ())],
        "count": repeat.count,
        "questions": [question.name for question in repeat.questions()],
        "order": [question.name for question in compiled.entry_order[repeat.name] if isinstance(question, Question)],
    }
