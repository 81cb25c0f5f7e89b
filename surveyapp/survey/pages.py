"""How a questionnaire is split into pages for the resident: one section per page.

Each top-level group is a page; questions outside any group that stand next
to each other share a page. Pure Python: no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass

from surveyapp.questionnaire import types
from surveyapp.questionnaire.schema import Group, Item, Question, Questionnaire, Repeat, repeats, walk


@dataclass(frozen=True)
class Page:
    """One screen of the survey."""

    index: int
    name: str
    label: dict
    items: tuple[Item, ...]

    def questions(self) -> list[Question]:
        """Every question on the page, groups flattened."""
        return [q for q, _ in walk(self.items)]

    def repeats(self) -> list[Repeat]:
        """The rosters on the page."""
        return list(repeats(self.items))

    def names(self) -> set[str]:
        return {q.name for q in self.questions()}

    def owns(self, field: str) -> bool:
        """Whether an answer or error field (``hh_size``, ``member[2].m_age``) is on this page."""
        return field.split("[", 1)[0] in self.names() | {r.name for r in self.repeats()}

    def fields(self, relevant: frozenset[str]) -> list[str]:
        """The relevant fields shown on the page, roster entries' questions included."""
        return sorted(name for name in relevant if self.owns(name) and not _silent(name, self))


def split_pages(q: Questionnaire) -> list[Page]:
    """The questionnaire's pages in order."""
    pages: list[Page] = []
    loose: list[Item] = []
    for item in q.items:
        if isinstance(item, Group) and not item.is_matrix:
            _flush(pages, loose)
            pages.append(Page(len(pages), item.name, item.label, item.children))
        else:
            loose.append(item)
    _flush(pages, loose)
    visible = [page for page in pages if page.repeats() or any(displayed(question) for question in page.questions())]
    return [Page(index, page.name, page.label, page.items) for index, page in enumerate(visible)]


def _flush(pages: list[Page], loose: list[Item]) -> None:
    """Questions outside groups that stand together become one page."""
    if loose:
        pages.append(Page(len(pages), f"page{len(pages) + 1}", {}, tuple(loose)))
        loose.clear()


def page_groups(q: Questionnaire) -> dict[str, Group]:
    """Top-level page groups by name (for their relevance)."""
    return {item.name: item for item in q.items if isinstance(item, Group) and not item.is_matrix}


def displayed(question: Question) -> bool:
    """Whether a question is shown: notes and questions the respondent answers, not
    calculations, hidden values or metadata."""
    qtype = types.get(question.type)
    return question.type == "note" or (qtype is not None and qtype.answerable)


def _silent(field: str, page: Page) -> bool:
    question = next((q for q in page.questions() if q.name == field), None)
    return question is not None and not displayed(question)


def shown(page: Page, relevant: frozenset[str]) -> bool:
    """Whether a page has anything to show given the relevant question names."""
    return (any(q.name in relevant and displayed(q) for q in page.questions())
            or any(r.name in relevant for r in page.repeats()))
