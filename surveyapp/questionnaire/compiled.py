"""Expressions of a questionnaire, parsed once, with their dependency order.

``analyse`` finds expression problems when a file is loaded (parse errors,
unknown or later references, cycles, choice filters on missing columns);
``compile_questionnaire`` builds what the validator needs at run time. It is
done once per version and cached by the caller.

Repeat groups (rosters) are evaluated as a unit in the response's order, and the
questions of each entry in an order of their own. Inside an entry ``${name}`` of a
sibling is that entry's answer; outside, a repeat's question is the list of its
entries' answers (for ``count()``, ``sum()`` …).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from surveyapp.questionnaire.expressions import Expression, ExpressionError, parse
from surveyapp.questionnaire.messages import FEATURES
from surveyapp.questionnaire.schema import Choice, Group, Question, Questionnaire, Repeat, walk_all
from surveyapp.questionnaire.xpath_functions import EXTERNAL_FUNCTIONS

COLUMNS = ("relevant", "required", "constraint", "choice_filter", "calculation")
GRAPH_COLUMNS = ("relevant", "required", "choice_filter", "calculation")
OTHER = Choice("other", {"zh": "其他", "en": "Other"})


@dataclass(frozen=True)
class Compiled:
    """A questionnaire ready for validation: parsed expressions and evaluation order.

    ``order`` holds the questions answered once per response; ``steps`` the same with
    each repeat at its place; ``entry_order`` a repeat's questions in evaluation order.
    """

    questionnaire: Questionnaire
    order: tuple[Question, ...]
    expressions: dict[tuple[str, str], Expression]
    conditions: dict[str, tuple[Expression, ...]]
    options: dict[str, dict[str, Choice]]
    steps: tuple[Question | Repeat, ...]
    entry_order: dict[str, tuple[Question, ...]]

    def expression(self, name: str, column: str) -> Expression | None:
        """The parsed ``column`` expression of question ``name``, if it has one."""
        return self.expressions.get((name, column))


def containers(items) -> Iterator[Group | Repeat]:
    """Every group and repeat, inside repeats too, outer before inner."""
    for item in items:
        if isinstance(item, (Group, Repeat)):
            yield item
            yield from containers(item.children)


def expression_cells(q: Questionnaire) -> Iterator[tuple[Question | Group | Repeat, str, str]]:
    """(owner, column, text) for every expression in the questionnaire."""
    for container in containers(q.items):
        if container.relevant:
            yield container, "relevant", container.relevant
        if isinstance(container, Repeat) and container.count:
            yield container, "count", container.count
    for question, _ in walk_all(q.items):
        for column in COLUMNS:
            text = getattr(question, column)
            if text and not (column == "required" and text == "true()"):
                yield question, column, text


def repeat_members(q: Questionnaire) -> dict[str, str]:
    """question name -> the name of the repeat holding it."""
    return {question.name: next(p.name for p in parents if isinstance(p, Repeat))
            for question, parents in walk_all(q.items) if any(isinstance(p, Repeat) for p in parents)}


class _Analysis:
    """State shared by the checks of one questionnaire."""

    def __init__(self, q: Questionnaire):
        self.q = q
        self.problems: list[tuple[str, str, str, dict]] = []
        self.position: dict[str, int] = {}
        self.kind: dict[str, str] = {}
        for index, (question, _) in enumerate(walk_all(q.items)):
            self.position.setdefault(question.name, index)
            self.kind.setdefault(question.name, question.type)
        # An empty group hides nothing, so any reference from its relevance is "earlier".
        end = len(self.position)
        self.group_start = {g.name: min((self.position.get(x.name, 0) for x, _ in walk_all((g,))), default=end)
                            for g in containers(q.items)}
        self.repeats = {r.name for r in q.repeats()}
        self.parsed: dict[tuple[str, str], Expression] = {}

    def add(self, owner, code: str, **params) -> None:
        self.problems.append((owner.location, owner.name, code, params))

    def run(self) -> list[tuple[str, str, str, dict]]:
        for owner, column, text in expression_cells(self.q):
            try:
                expr = parse(text)
            except ExpressionError as exc:
                if exc.function in EXTERNAL_FUNCTIONS:
                    self.add(owner, "unsupported_feature", feature=_feature(exc.function))
                else:
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
        own = self.group_start.get(owner.name) if isinstance(owner, (Group, Repeat)) else self.position.get(owner.name)
        for ref in sorted(expr.references):
            if ref in self.repeats:
                if self.group_start[ref] >= (own or 0) and ref != owner.name:
                    self.add(owner, "later_reference", column=column, ref=ref)
            elif ref not in self.position:
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
        listed = self.q.choices.get(owner.list_name, ())
        available = {"name", "label"}.union(*(c.columns for c in listed))
        available |= {f"label::{language}" for c in listed for language in c.label}
        for column in sorted(expr.columns - available):
            self.add(owner, "missing_filter_column", column=column, list=owner.list_name)

    def check_cycles(self) -> None:
        graph = dependency_graph(self.q, self.parsed)
        for cycle in find_cycles(graph):
            owner = self.q.question(cycle[0])
            self.add(owner, "cycle", path=" → ".join(cycle))


def _feature(function: str) -> dict[str, str]:
    return FEATURES.get(function, {"zh": f"{function}()", "en": f"{function}()"})


def dependency_graph(q: Questionnaire, parsed: dict[tuple[str, str], Expression]) -> dict[str, list[str]]:
    """question -> the questions its relevance, requirement, filter or value depend on.

    A reference to a repeat stands for its questions (its entries are what is counted).
    """
    members: dict[str, list[str]] = {}
    for name, repeat in repeat_members(q).items():
        members.setdefault(repeat, []).append(name)
    graph: dict[str, list[str]] = {}
    for question, parents in walk_all(q.items):
        deps: set[str] = set()
        owners = [(question.name, c) for c in GRAPH_COLUMNS]
        owners += [(p.name, column) for p in parents for column in ("relevant", "count")]
        for key in owners:
            if key in parsed:
                for ref in parsed[key].references:
                    deps.update([m for m in members[ref] if m != question.name] if ref in members else [ref])
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


def evaluation_order(items: list, graph: dict[str, list[str]], unit_of: dict[str, str]) -> tuple:
    """``items`` in document order, except that dependencies always come first.

    ``unit_of`` maps a question to the item it is evaluated with (its repeat), so that a
    dependency on one question of a repeat puts the whole repeat first.
    """
    by_name = {item.name: item for item in items}
    needs: dict[str, set[str]] = {name: set() for name in by_name}
    for question, deps in graph.items():
        unit = unit_of.get(question, question)
        if unit in needs:
            needs[unit] |= {unit_of.get(d, d) for d in deps} - {unit}
    done: dict[str, object] = {}
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name in visiting or name not in by_name:
            return
        visiting.add(name)
        for dep in sorted(needs[name]):
            visit(dep)
        done[name] = by_name[name]

    for name in by_name:
        visit(name)
    return tuple(done.values())


def analyse(q: Questionnaire) -> list[tuple[str, str, str, dict]]:
    """Expression problems as (location, question, message code, params)."""
    return _Analysis(q).run()


def _level(items, parents=()) -> Iterator[tuple[Question | Repeat, tuple]]:
    """Questions and repeats of one level (not entering repeats), with their groups."""
    for item in items:
        if isinstance(item, Group):
            yield from _level(item.children, parents + (item,))
        else:
            yield item, parents


def compile_questionnaire(q: Questionnaire) -> Compiled:
    """Parse every expression and fix the evaluation order (q must be valid)."""
    parsed = {(owner.name, column): parse(text) for owner, column, text in expression_cells(q)}
    conditions, options = {}, {}
    for item, parents in [*_level(q.items), *((x, p) for r in q.repeats() for x, p in _level(r.children))]:
        keys = [(g.name, "relevant") for g in parents] + [(item.name, "relevant")]
        conditions[item.name] = tuple(parsed[k] for k in keys if k in parsed)
        if isinstance(item, Question):
            listed: dict[str, Choice] = {}
            for choice in q.choices.get(item.list_name or "", ()):
                listed.setdefault(choice.value, choice)  # a duplicated value (allow_choice_duplicates) once
            options[item.name] = {**listed, OTHER.value: OTHER} if item.or_other else listed
    graph = dependency_graph(q, parsed)
    unit_of = repeat_members(q)
    steps = evaluation_order([item for item, _ in _level(q.items)], graph, unit_of)
    entry_order = {r.name: evaluation_order([x for x, _ in _level(r.children)], graph, {}) for r in q.repeats()}
    order = tuple(step for step in steps if isinstance(step, Question))
    return Compiled(q, order, parsed, conditions, options, steps, entry_order)
