"""Expressions of a questionnaire, parsed once, with their dependency order.

``analyse`` finds expression problems when a file is loaded (parse errors,
unknown or later references, cycles, choice filters on missing columns);
``compile_questionnaire`` builds what the validator needs at run time. It is
done once per version and cached by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from surveyapp.questionnaire.expressions import Expression, ExpressionError, parse
from surveyapp.questionnaire.schema import Choice, Group, Question, Questionnaire, groups, walk

COLUMNS = ("relevant", "required", "constraint", "choice_filter", "calculation")
GRAPH_COLUMNS = ("relevant", "required", "choice_filter", "calculation")
OTHER = Choice("other", {"zh": "其他", "en": "Other"})


@dataclass(frozen=True)
class Compiled:
    """A questionnaire ready for validation: parsed expressions and evaluation order."""

    questionnaire: Questionnaire
    order: tuple[Question, ...]
    expressions: dict[tuple[str, str], Expression]
    conditions: dict[str, tuple[Expression, ...]]
    options: dict[str, dict[str, Choice]]

    def expression(self, name: str, column: str) -> Expression | None:
        """The parsed ``column`` expression of question ``name``, if it has one."""
        return self.expressions.get((name, column))


def expression_cells(q: Questionnaire) -> Iterator[tuple[Question | Group, str, str]]:
    """(owner, column, text) for every expression in the questionnaire."""
    for group in groups(q.items):
        if group.relevant:
            yield group, "relevant", group.relevant
    for question in q.questions():
        for column in COLUMNS:
            text = getattr(question, column)
            if text and not (column == "required" and text == "true()"):
                yield question, column, text


class _Analysis:
    """State shared by the checks of one questionnaire."""

    def __init__(self, q: Questionnaire):
        self.q = q
        self.problems: list[tuple[str, str, str, dict]] = []
        self.position: dict[str, int] = {}
        self.kind: dict[str, str] = {}
        for index, question in enumerate(q.questions()):
            self.position.setdefault(question.name, index)
            self.kind.setdefault(question.name, question.type)
        # An empty group hides nothing, so any reference from its relevance is "earlier".
        end = len(self.position)
        self.group_start = {g.name: min((self.position.get(x.name, 0) for x, _ in walk((g,))), default=end)
                            for g in groups(q.items)}
        self.parsed: dict[tuple[str, str], Expression] = {}

    def add(self, owner, code: str, **params) -> None:
        self.problems.append((owner.location, owner.name, code, params))

    def run(self) -> list[tuple[str, str, str, dict]]:
        for owner, column, text in expression_cells(self.q):
            try:
                expr = parse(text)
            except ExpressionError as exc:
                self.add(owner, "bad_expression", column=column, detail=exc.message)
                continue
            self.parsed[(owner.name, column)] = expr
            self.check_references(owner, column, expr)
            if column == "choice_filter":
                self.check_filter(owner, expr)
            else:
                self.check_bare_names(owner, column, expr)
        self.check_cycles()
        return self.problems

    def check_references(self, owner, column: str, expr: Expression) -> None:
        own = self.group_start.get(owner.name) if isinstance(owner, Group) else self.position.get(owner.name)
        for ref in sorted(expr.references):
            if ref not in self.position:
                self.add(owner, "unknown_reference", column=column, ref=ref)
            elif self.kind[ref] == "calculate" or (ref == owner.name and column == "constraint"):
                continue
            elif own is None or self.position[ref] >= own:
                self.add(owner, "later_reference", column=column, ref=ref)

    def check_bare_names(self, owner, column: str, expr: Expression) -> None:
        # A bare name is a choice column, which only a choice_filter has; elsewhere
        # it is a forgotten ${...} and would silently evaluate to "".
        for name in sorted(expr.columns):
            self.add(owner, "bare_name", column=column, name=name)

    def check_filter(self, owner, expr: Expression) -> None:
        if not isinstance(owner, Question) or owner.list_name is None:
            self.add(owner, "filter_on_non_select")
            return
        available = {"name", "label"}.union(*(c.columns for c in self.q.choices.get(owner.list_name, ())))
        for column in sorted(expr.columns - available):
            self.add(owner, "missing_filter_column", column=column, list=owner.list_name)

    def check_cycles(self) -> None:
        graph = dependency_graph(self.q, self.parsed)
        for cycle in find_cycles(graph):
            owner = self.q.question(cycle[0])
            self.add(owner, "cycle", path=" → ".join(cycle))


def dependency_graph(q: Questionnaire, parsed: dict[tuple[str, str], Expression]) -> dict[str, list[str]]:
    """question -> the questions its relevance, requirement, filter or value depend on."""
    graph: dict[str, list[str]] = {}
    for question, parents in walk(q.items):
        deps: set[str] = set()
        owners = [(question.name, c) for c in GRAPH_COLUMNS] + [(g.name, "relevant") for g in parents]
        for key in owners:
            if key in parsed:
                deps |= parsed[key].references
        graph[question.name] = sorted(deps)
    return graph


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each dependency cycle once, as a path that starts and ends on the same name."""
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in graph.get(node, ()):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep):] + [dep])
            elif dep in graph and not state.get(dep):
                visit(dep, path + [dep])
        state[node] = 2

    for node in graph:
        if not state.get(node):
            visit(node, [node])
    return cycles


def evaluation_order(q: Questionnaire, graph: dict[str, list[str]]) -> tuple[Question, ...]:
    """Questions in document order, except that dependencies always come first."""
    by_name = {question.name: question for question in q.questions()}
    done: dict[str, Question] = {}
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name in visiting or name not in by_name:
            return
        visiting.add(name)
        for dep in graph.get(name, ()):
            visit(dep)
        done[name] = by_name[name]

    for name in by_name:
        visit(name)
    return tuple(done.values())


def analyse(q: Questionnaire) -> list[tuple[str, str, str, dict]]:
    """Expression problems as (location, question, message code, params)."""
    return _Analysis(q).run()


def compile_questionnaire(q: Questionnaire) -> Compiled:
    """Parse every expression and fix the evaluation order (q must be valid)."""
    parsed = {(owner.name, column): parse(text) for owner, column, text in expression_cells(q)}
    conditions = {}
    options = {}
    for question, parents in walk(q.items):
        keys = [(g.name, "relevant") for g in parents] + [(question.name, "relevant")]
        conditions[question.name] = tuple(parsed[k] for k in keys if k in parsed)
        listed = {c.value: c for c in q.choices.get(question.list_name or "", ())}
        options[question.name] = {**listed, OTHER.value: OTHER} if question.or_other else listed
    order = evaluation_order(q, dependency_graph(q, parsed))
    return Compiled(q, order, parsed, conditions, options)
