"""The simulator's plan: for each question in evaluation order, what to draw and what to check,
worked out once per questionnaire."""

from __future__ import annotations

import math
import re
from collections import ChainMap
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np

from surveyapp.questionnaire import types
from surveyapp.questionnaire.compiled import Compiled
from surveyapp.questionnaire.expressions import Env
from surveyapp.questionnaire.schema import Question, Repeat, walk, walk_all
# The validator's own helpers, so that filters and calculations see exactly what it sees.
from surveyapp.questionnaire.validate import filter_row
from surveyapp.simulate.answers import OPEN_ANSWERS, OTHER_ANSWERS
from surveyapp.simulate.profile import DONT_KNOW_CODES, Profile, SimulationError

PROBE = range(-100, 2101)  # integers tried to learn a fixed numeric constraint (years included)
COMPUTED = frozenset({"calculate", "hidden"})  # never answered: their values come from the questionnaire


# --- the plan: what to do for each question, worked out once -------------------------------

_GENERIC_SCALES = {3: (0.35, 0.45, 0.20), 4: (0.25, 0.40, 0.25, 0.10), 5: (0.22, 0.38, 0.25, 0.10, 0.05),
                   6: (0.15, 0.30, 0.25, 0.15, 0.10, 0.05), 7: (0.10, 0.20, 0.25, 0.20, 0.12, 0.08, 0.05)}
_FILTER_EQUALS = (re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*=\s*\$\{([A-Za-z_][\w.\-]*)\}\s*$"),
                  re.compile(r"^\s*\$\{([A-Za-z_][\w.\-]*)\}\s*=\s*([A-Za-z_][\w.\-]*)\s*$"))


class _Step:
    """One question of the evaluation order, with everything the walk needs."""

    __slots__ = ("question", "name", "kind", "conditions", "required_true", "required_expr", "constraint",
                 "pending", "filter", "options", "rows", "codes", "cum", "weights", "ord_index", "dk", "dk_p",
                 "matrix", "or_other", "exclusive", "link", "pool", "valid", "expr", "hint", "scale", "run",
                 "chances", "exclusive_logits")

    def __init__(self, question: Question, compiled: Compiled):
        self.question = question
        self.name = question.name
        self.conditions = compiled.conditions[question.name]
        self.required_true = question.required == "true()"
        self.required_expr = compiled.expression(question.name, "required")
        self.constraint = compiled.expression(question.name, "constraint")
        self.pending: tuple[str, ...] = ()      # calculations the constraint needs that come later
        self.filter = compiled.expression(question.name, "choice_filter")
        self.options = compiled.options.get(question.name, {})
        self.rows = {value: filter_row(choice) for value, choice in self.options.items()}
        self.or_other = question.or_other
        self.codes: tuple[str, ...] = ()
        self.cum: list[float] = []
        self.weights: dict = {}
        self.ord_index = -1
        self.dk: str | None = None
        self.dk_p = 0.0
        self.matrix: str | None = None
        self.exclusive: tuple[str, ...] = ()
        self.link = 0.0
        self.pool: Sequence[str] = ()
        self.valid: set[int] | None = None
        self.expr = None
        self.hint = ""
        self.scale: tuple[float, ...] = ()
        self.run = None
        self.chances: tuple[float, ...] = ()          # select_multiple: chance of ticking each code
        self.exclusive_logits: tuple[float, ...] = ()  # ... and of ticking each exclusive code alone


class RosterStep:
    """A roster (repeat group) in the evaluation order: how many entries, and each entry's steps."""

    kind = "roster"
    matrix = None
    pending: tuple[str, ...] = ()

    def __init__(self, repeat: Repeat, compiled: Compiled, entry_steps: list[_Step]):
        self.repeat = repeat
        self.name = repeat.name
        self.conditions = compiled.conditions[repeat.name]
        self.count = compiled.expression(repeat.name, "count")
        self.entry_steps = entry_steps
        self.members = tuple(x.name for x in repeat.questions())


def _entry_weights(scale: Sequence[float], substantive: list[str], dk: list[str],
                   dont_know: float) -> dict[str, float]:
    """Choice weights for an ordinal item asked once per roster entry: its base distribution."""
    if len(scale) != len(substantive) or sum(scale) <= 0:
        raise SimulationError(f"profile scale has {len(scale)} values for {len(substantive)} codes")
    weights = {code: float(x) / sum(scale) * (1 - min(dont_know, 1.0)) for code, x in zip(substantive, scale)}
    weights.update((code, min(dont_know, 1.0)) for code in dk[:1])
    return weights


def _cumulative(codes: Sequence, weights: Mapping) -> list[float]:
    total, out = 0.0, []
    for code in codes:
        total += max(float(weights.get(code, 1.0)), 0.0)
        out.append(total)
    if total <= 0:
        raise SimulationError("choice weights add up to zero")
    return out


class _Plan:
    def __init__(self, compiled: Compiled, profile: Profile):
        self.compiled = compiled
        self.profile = profile
        q = compiled.questionnaire
        matrix_of = {question.name: next((g.name for g in reversed(parents) if g.is_matrix), None)
                     for question, parents in walk(q.items)}
        other_boxes = {f"{question.name}_other" for question in q.questions() if question.or_other}
        done: set[str] = set()
        calculations = {x.name for x in compiled.order if x.type in COMPUTED}
        self.steps: list[_Step | RosterStep] = []
        self.ordinal: list[_Step] = []
        for item in compiled.steps:
            if isinstance(item, Repeat):
                self.steps.append(self._roster(item, other_boxes))
                done.update(x.name for x in item.questions())
                continue
            step = _Step(item, compiled)
            step.matrix = matrix_of.get(item.name)
            if step.constraint is not None:
                step.pending = tuple(x.name for x in compiled.order
                                     if x.name in step.constraint.references - done - {item.name}
                                     and x.name in calculations)
            self._prepare(step, other_boxes)
            self.steps.append(step)
            done.add(item.name)
        self.steps = self._needed(self.steps)
        self.deferred = [s for s in self.steps if s.pending]
        self.has_matrix = any(s.matrix for s in self.steps if s.kind != "skip")
        self.calc_steps = {s.name: s for s in self.steps if s.kind == "calc"}
        self.calculations = calculations | {x.name for x, _ in walk_all(q.items) if x.type in COMPUTED}
        self.rosters = frozenset(r.name for r in q.repeats())
        self._thresholds()

    def _needed(self, steps: list) -> list:
        """Steps left once notes and the calculations nothing refers to (left to the validator) go."""
        used = set().union(*(e.references for e in self.compiled.expressions.values()))
        return [s for s in steps if s.kind != "skip" and (s.kind != "calc" or s.name in used)]

    def _roster(self, repeat: Repeat, other_boxes: set[str]) -> RosterStep:
        """A roster's step: its entry count and its questions, planned like the response's own.

        Entries have no latent attitude of their own, so an ordinal item inside one is drawn
        from its base distribution (``in_entry``).
        """
        entry_steps = []
        for question in self.compiled.entry_order[repeat.name]:
            step = _Step(question, self.compiled)
            self._prepare(step, other_boxes, in_entry=True)
            entry_steps.append(step)
        return RosterStep(repeat, self.compiled, self._needed(entry_steps))

    def _prepare(self, step: _Step, other_boxes: set[str], in_entry: bool = False) -> None:
        p, question, name = self.profile, step.question, step.question.name
        qtype = question.type
        if types.get(qtype) is None or (not types.get(qtype).answerable and qtype not in COMPUTED):
            step.kind = "skip"
        elif qtype in COMPUTED:  # computed as the validator does (a hidden one may have only a default)
            step.kind, step.expr = "calc", self.compiled.expression(name, "calculation")
        elif qtype in ("time", "datetime", "range"):
            step.kind = qtype
        elif qtype in ("select_one", "select_multiple", "rank"):
            listed = [c for c in self.compiled.options[name].values() if c.value != "other"]
            dk = [c.value for c in listed if c.value in DONT_KNOW_CODES and not c.exclusive]
            substantive = [c.value for c in listed if c.value not in DONT_KNOW_CODES or c.exclusive]
            step.weights = dict(p.weights.get(name, {}))
            if qtype == "select_one":
                scale = p.scales.get(name)
                if scale is None and name not in p.weights and len(substantive) >= 3 \
                        and all(v.isdigit() for v in substantive):
                    scale = _GENERIC_SCALES.get(len(substantive), (1.0,) * len(substantive))
                if scale is not None and in_entry:
                    dont_know = p.dont_know * p.dont_know_items.get(name, 1.0)
                    step.weights = step.weights or _entry_weights(scale, substantive, dk, dont_know)
                    scale = None
                if scale is not None:
                    if len(scale) != len(substantive):
                        raise SimulationError(f"profile scale of {name!r} has {len(scale)} values for "
                                              f"{len(substantive)} codes")
                    step.kind, step.codes, step.weights = "ordinal", tuple(substantive), {}
                    step.scale = tuple(float(x) for x in scale)
                    if dk:
                        step.dk = dk[0]
                        step.dk_p = min(1.0, p.dont_know * p.dont_know_items.get(name, 1.0))
                    step.ord_index = len(self.ordinal)
                    self.ordinal.append(step)
                else:
                    step.kind, step.codes = "nominal", tuple(c.value for c in listed)
                    step.cum = _cumulative(step.codes, step.weights)
            elif qtype == "select_multiple":
                step.kind = "multiple"
                step.codes = tuple(c.value for c in listed if not c.exclusive)
                step.exclusive = tuple(c.value for c in listed if c.exclusive)
                step.link = float(p.attitude_links.get(name, 0.0))
                default = min(0.4, 2.0 / max(len(step.codes), 1))
                step.chances = tuple(float(step.weights.get(c, default)) for c in step.codes)
                step.exclusive_logits = tuple(_logit(float(step.weights.get(c, 0.15))) for c in step.exclusive)
            else:
                step.kind = "rank"
        elif qtype in ("integer", "decimal"):
            step.kind = qtype
            step.hint = "age" if "age" in name.lower() else ""
            numbers = p.weights.get(name)
            if numbers:
                step.codes = tuple(numbers)
                step.cum = _cumulative(step.codes, numbers)
            if step.constraint is not None and step.constraint.references <= {name} \
                    and "today" not in step.constraint.functions:
                step.valid = {v for v in PROBE if _holds(step, {}, v if qtype == "integer" else float(v), None)}
                if not step.valid and self._required_always(step):
                    raise SimulationError(f"no value from {PROBE.start} to {PROBE.stop - 1} meets the "
                                          f"constraint of {name!r}")
        elif qtype == "date":
            step.kind = "date"
        elif qtype == "text":
            step.kind = "text"
            if name in other_boxes:
                step.hint, step.pool = "other", tuple(p.other_answers) or OTHER_ANSWERS
            else:
                step.pool = tuple(p.open_answers.get(name) or p.open_answers.get("*") or OPEN_ANSWERS["*"])
        elif qtype == "acknowledge":
            step.kind = "acknowledge"
        else:  # a type added to the registry later: fail loudly rather than skip it
            raise SimulationError(f"question type {qtype!r} ({name}) cannot be simulated yet")

    @staticmethod
    def _required_always(step: _Step) -> bool:
        return step.required_true and not step.conditions

    def _thresholds(self) -> None:
        """Cut points on the latent scale: ordinal item i, category j is chosen while y > z[i, j]."""
        width = max((len(s.scale) for s in self.ordinal), default=1)
        self.z = np.full((len(self.ordinal), max(width - 1, 1)), -np.inf)
        normal = NormalDist()
        for i, step in enumerate(self.ordinal):
            probs = np.asarray(step.scale)
            if (probs < 0).any() or probs.sum() <= 0:
                raise SimulationError(f"bad scale for {step.name!r}")
            for j, c in enumerate(np.cumsum(probs / probs.sum())[:-1]):
                self.z[i, j] = normal.inv_cdf(min(max(1.0 - c, 1e-12), 1 - 1e-12))

    def pins(self, channel: str | None) -> dict[str, str]:
        """Answers fixed by the channel: the question listing the channel codes, and what its filter implies."""
        if channel is None:
            return {}
        wanted = {c.code for c in self.compiled.questionnaire.channels} | {channel}
        if all(code.isdigit() for code in wanted):  # numeric codes would match any scale
            return {}
        steps = [s for s in self.steps if isinstance(s, _Step)]
        by_name = {s.name: s for s in steps}
        target = next((s for s in steps if s.question.type == "select_one" and wanted <= set(s.options)), None)
        pins: dict[str, str] = {}
        value = channel
        while target is not None and value in target.options and target.name not in pins:
            pins[target.name] = value
            choice, text, target = target.options[value], target.question.choice_filter or "", None
            for number, pattern in enumerate(_FILTER_EQUALS):
                match = pattern.match(text)
                if match:  # "column = ${ref}": the earlier question must have been answered column
                    column, ref = match.groups() if number == 0 else tuple(reversed(match.groups()))
                    implied = value if column == "name" else choice.columns.get(column)
                    if ref in by_name and implied:
                        target, value = by_name[ref], implied
                    break
        return pins


_MISSING = object()


def _holds(step: _Step, values: dict[str, Any], value: Any, today: str | None,
           pending: Mapping[str, Any] | None = None) -> bool:
    """Whether ``value`` meets the step's constraint, with the answer stored as the validator does."""
    if step.constraint is None:
        return True
    if pending:
        scope = ChainMap({step.name: value}, values, pending)
        return step.constraint.evaluate_bool(Env(scope, current=value, today=today))
    had, values[step.name] = values.get(step.name, _MISSING), value  # stored first, as the validator does
    try:
        return step.constraint.evaluate_bool(Env(values, current=value, today=today))
    finally:
        if had is _MISSING:
            del values[step.name]
        else:
            values[step.name] = had


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))
