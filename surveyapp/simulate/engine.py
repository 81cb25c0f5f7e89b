"""The simulator: residents drawn by the response model, walked through the plan."""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections import ChainMap
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from surveyapp.questionnaire.compiled import Compiled
from surveyapp.questionnaire.expressions import Env, NodeSet
# The validator's own helpers, so that filters and calculations see exactly what it sees.
from surveyapp.questionnaire.validate import storable
from surveyapp.simulate.kinds import RosterKinds, computed
from surveyapp.simulate.plan import PROBE, _logistic, _Plan, _Step, _holds
from surveyapp.simulate.profile import Profile, SimulatedResponse, SimulationError, _Redraw, default_profile


BATCH = 256          # respondents whose ordinal answers are drawn together (fixed: keeps prefixes stable)
ATTEMPTS = 20        # whole-response redraws before giving up
TRIES = 12           # redraws of one answer against its constraint
UTC = dt.timezone.utc
CHINA = dt.timezone(dt.timedelta(hours=8))
# Relative chance of a submission in each hour of the day, China time.
HOUR_WEIGHT = (0.04, 0.02, 0.01, 0.01, 0.01, 0.03, 0.12, 0.35, 0.6, 0.8, 0.85, 0.8,
               0.7, 0.6, 0.7, 0.75, 0.8, 0.85, 0.95, 1.0, 1.0, 0.9, 0.6, 0.2)

# --- the simulator ----------------------------------------------------------------------------

class _Respondent:
    """One resident being walked through the questions; a roster entry is walked as one too.

    ``own`` holds what this respondent (or entry) answered; ``values`` is the scope its
    expressions see: ``own``, then the outer response (for an entry), or the rosters' answers
    over their entries (``nodes``), as in the validator.
    """

    __slots__ = ("own", "nodes", "values", "env", "today", "cats", "disposition", "straight", "speeder", "pins",
                 "lines", "cache")

    def __init__(self, today, cats, disposition, straight, speeder, pins, outer=None, position=None):
        self.own: dict[str, Any] = {}
        self.nodes: dict[str, NodeSet] = {}
        self.values = ChainMap(self.own, outer if outer is not None else self.nodes)
        self.env = Env(self.values, today=today, position=position)
        self.today = today
        self.cats = cats
        self.disposition = disposition
        self.straight = straight
        self.speeder = speeder
        self.pins = pins
        self.lines: dict[str, str] = {}
        self.cache: dict[int, bool] = {}


class _Simulator(RosterKinds):
    def __init__(self, compiled, profile, channels, wave, start, end, seed):
        self.plan = _Plan(compiled, profile)
        self.profile = profile
        q = compiled.questionnaire
        if channels is None:
            channels = [c.code for c in q.channels]
        self.channels: list[str | None] = list(channels) or [None]
        weights = np.array([float(profile.channel_weights.get(c, 1.0)) if c else 1.0 for c in self.channels])
        if (weights < 0).any() or weights.sum() <= 0:
            raise SimulationError("channel weights must be non-negative and not all zero")
        self.channel_p = weights / weights.sum()
        self.wave = wave
        shifts = [profile.mood + profile.wave_shift.get(wave, 0.0) + profile.channel_shift.get(c, 0.0)
                  + profile.wave_channel_shift.get(wave, {}).get(c, 0.0) for c in self.channels]
        self.shift = np.array(shifts)
        self.item_shift = np.zeros((len(self.channels), len(self.plan.ordinal)))
        for i, c in enumerate(self.channels):
            for j, step in enumerate(self.plan.ordinal):
                self.item_shift[i, j] = profile.channel_item_shift.get(c, {}).get(step.name, 0.0)
        self.pins = {c: self.plan.pins(c) for c in self.channels}
        entry_steps = [e for s in self.plan.steps if s.kind == "roster" for e in s.entry_steps]
        for step in [*self.plan.steps, *entry_steps]:
            if step.kind not in ("skip", "calc", "roster"):
                step.run = getattr(self, "_" + step.kind)
        if not 0.0 <= profile.cohesion <= 1.0:
            raise SimulationError("cohesion must be between 0 and 1")
        self.start, self.end = _period(start, end)
        sequence = np.random.SeedSequence(seed)
        numpy_seed, python_seed = sequence.spawn(2)
        self.np_rng = np.random.default_rng(numpy_seed)
        self.rng = random.Random(int(python_seed.generate_state(2, np.uint64)[0]))

    # -- batches of latent draws --

    def responses(self, n: int) -> Iterator[SimulatedResponse]:
        made = 0
        while made < n:
            channel_index, cats, disposition = self._batch()
            for b in range(min(BATCH, n - made)):
                yield self._response(self.channels[channel_index[b]], cats[b], disposition[b])
            made += BATCH

    def _batch(self):
        rng, k = self.np_rng, len(self.plan.ordinal)
        channel_index = rng.choice(len(self.channels), size=BATCH, p=self.channel_p)
        attitude = rng.standard_normal(BATCH)
        noise = rng.standard_normal((BATCH, k))
        rho = self.profile.cohesion
        shift = self.shift[channel_index]
        latent = (shift + math.sqrt(rho) * attitude)[:, None] + self.item_shift[channel_index] \
            + math.sqrt(1 - rho) * noise
        cats = (latent[:, :, None] <= self.plan.z[None, :, :]).sum(axis=2)
        return channel_index.tolist(), cats.tolist(), (shift + attitude).tolist()

    # -- one response --

    def _response(self, channel, cats, disposition) -> SimulatedResponse:
        p, rng = self.profile, self.rng
        mode = "interview" if rng.random() < p.interview else "self"
        speeder = mode == "self" and rng.random() < p.speeders
        straight = self.plan.has_matrix and rng.random() < (max(0.5, p.straightliners) if speeder
                                                            else p.straightliners)
        started, submitted = self._times(mode, speeder)
        today = submitted.date().isoformat()
        for _ in range(ATTEMPTS):
            person = _Respondent(today, cats, disposition, straight, speeder, self.pins[channel])
            try:
                self._walk(person, self.plan.steps)
            except _Redraw:
                continue
            if all(_holds(s, person.values, person.values[s.name], today)
                   for s in self.plan.deferred if s.name in person.values):
                break
        else:
            raise SimulationError("could not simulate a valid response in "
                                  f"{ATTEMPTS} attempts (questionnaire {self.plan.compiled.questionnaire.form_id})")
        answers = self._submitted(person.own)
        return SimulatedResponse(channel, answers, started, submitted, mode, self.wave, speeder, straight)

    def _times(self, mode: str, speeder: bool) -> tuple[dt.datetime, dt.datetime]:
        rng = self.rng
        if speeder:
            seconds = rng.uniform(30, 90)
        elif mode == "interview":
            seconds = min(max(rng.lognormvariate(math.log(540), 0.3), 240), 1500)
        else:
            seconds = min(max(rng.lognormvariate(math.log(330), 0.35), 150), 1200)
        span = (self.end - self.start).total_seconds()
        seconds = min(round(seconds), span)
        room = span - seconds
        for _ in range(10):  # prefer waking hours, China time
            submitted = self.start + dt.timedelta(seconds=seconds + int(rng.random() * room))
            if rng.random() < HOUR_WEIGHT[submitted.astimezone(CHINA).hour]:
                break
        return submitted - dt.timedelta(seconds=seconds), submitted

    def _submitted(self, own: dict[str, Any]) -> dict[str, Any]:
        """What a client would send: no calculations, each roster as its entries' answers."""
        out = {}
        for name, value in own.items():
            if name in self.plan.calculations:
                continue
            out[name] = [self._submitted(entry) for entry in value] if name in self.plan.rosters else value
        return out

    def _walk(self, person: _Respondent, steps) -> None:
        values, env, relevant = person.values, person.env, self._relevant
        for step in steps:
            if step.conditions and not relevant(step.conditions, person):
                if step.kind == "roster":  # seen by later expressions as a roster without entries
                    self._publish(step, person, [])
                continue
            if step.kind == "calc":
                values[step.name] = computed(step, env)
                continue
            if step.kind == "roster":
                self._roster(step, person)
                continue
            required = step.required_true or bool(step.required_expr and step.required_expr.evaluate_bool(env))
            value = step.run(step, person, required)
            if value is None:
                if required:
                    raise _Redraw
            else:
                values[step.name] = value

    @staticmethod
    def _relevant(conditions, person: _Respondent) -> bool:
        # A condition's references are all settled before the first question it governs,
        # so its value is cached for the group's later rows.
        cache = person.cache
        for expr in conditions:
            result = cache.get(id(expr))
            if result is None:
                result = cache[id(expr)] = expr.evaluate_bool(person.env)
            if not result:
                return False
        return True

    def _ok(self, step: _Step, person: _Respondent, value: Any) -> bool:
        if step.constraint is None:
            return True
        if step.valid is not None and type(value) is int:
            return value in step.valid
        pending = None
        if step.pending:  # compute the later calculations as they would come out with this answer
            pending = {}
            scope = ChainMap({step.name: value}, person.values, pending)
            env = Env(scope, today=person.today)
            for name in step.pending:
                calc = self.plan.calc_steps[name]
                if all(expr.evaluate_bool(env) for expr in calc.conditions):
                    pending[name] = computed(calc, env)
        return _holds(step, person.values, value, person.today, pending)

    def _first_ok(self, step, person, candidates) -> Any:
        for value in candidates:
            if self._ok(step, person, value):
                return value
        return None

    def _skips(self, required: bool) -> bool:
        return not required and self.rng.random() < self.profile.item_nonresponse

    def _allowed(self, step: _Step, person: _Respondent) -> list[str] | None:
        if step.filter is None:
            return None
        today, values = person.today, person.values
        return [value for value, row in step.rows.items()
                if value == "other" and step.or_other
                or step.filter.evaluate_bool(Env(values, today=today, row=row))]

    @staticmethod
    def _offered(step: _Step, person: _Respondent, code: str) -> bool:
        """Whether the (possibly filtered) list offers ``code``."""
        if code not in step.options:
            return False
        if step.filter is None or code == "other" and step.or_other:
            return True
        return step.filter.evaluate_bool(Env(person.values, today=person.today, row=step.rows[code]))

    def _pick(self, step: _Step, allowed: list[str] | None) -> str | None:
        """A code by the step's weights, among ``allowed`` when the list is filtered."""
        rng = self.rng
        if allowed is None:
            return step.codes[bisect.bisect_right(step.cum, rng.random() * step.cum[-1])] if step.codes else None
        codes = [c for c in allowed if c != "other"]
        if not codes:
            return "other" if allowed else None
        weights = [max(float(step.weights.get(c, 1.0)), 0.0) for c in codes]
        if sum(weights) <= 0:
            weights = [1.0] * len(codes)
        return rng.choices(codes, weights)[0]

    def _others(self, step, allowed, first) -> list[str]:
        """Every other allowed code in random order, to try when ``first`` breaks the constraint."""
        pool = [c for c in (allowed if allowed is not None else step.options) if c != first]
        self.rng.shuffle(pool)
        return pool

    # -- question kinds --

    def _ordinal(self, step: _Step, person: _Respondent, required: bool):
        rng = self.rng
        if not required and rng.random() < self.profile.item_nonresponse:
            return None
        code = person.lines.get(step.matrix) if person.straight and step.matrix else None
        if code is None:
            if step.or_other and rng.random() < self.profile.other:
                code = "other"
            elif step.dk and rng.random() < step.dk_p:
                code = step.dk
            else:
                code = step.codes[person.cats[step.ord_index]]
            if step.matrix and person.straight:
                person.lines[step.matrix] = code
        if step.filter is None and step.constraint is None:
            return code
        allowed = self._allowed(step, person)
        if allowed is not None and code not in allowed:
            code = self._pick(step, allowed)
            if code is None:
                return None
        if step.constraint is None:
            return code
        return self._first_ok(step, person, [code, *self._others(step, allowed, code)])

    def _nominal(self, step: _Step, person: _Respondent, required: bool):
        pinned = person.pins.get(step.name)
        if pinned is not None and self._offered(step, person, pinned) and self._ok(step, person, pinned):
            return pinned
        allowed = self._allowed(step, person)
        if self._skips(required):
            return None
        if step.matrix and person.straight and step.matrix in person.lines:
            code = person.lines[step.matrix]
            if (code in step.options if allowed is None else code in allowed) and self._ok(step, person, code):
                return code
        if step.or_other and self.rng.random() < self.profile.other:
            code = "other"
        else:
            code = self._pick(step, allowed)
            if code is None:
                return None
        if step.matrix:
            person.lines.setdefault(step.matrix, code)
        if step.constraint is None:
            return code
        return self._first_ok(step, person, [code, *self._others(step, allowed, code)])

    def _multiple(self, step: _Step, person: _Respondent, required: bool):
        rng, p = self.rng, self.profile
        if not required and rng.random() < p.item_nonresponse:
            return None
        allowed = self._allowed(step, person)
        codes, chances, exclusive, logits = step.codes, step.chances, step.exclusive, step.exclusive_logits
        other = step.or_other
        if allowed is not None:
            offered = set(allowed)
            keep = [i for i, c in enumerate(codes) if c in offered]
            codes, chances = [codes[i] for i in keep], [chances[i] for i in keep]
            keep = [i for i, c in enumerate(exclusive) if c in offered]
            exclusive, logits = [exclusive[i] for i in keep], [logits[i] for i in keep]
            other = other and "other" in offered
        shift = step.link * person.disposition
        for _ in range(TRIES):
            chosen: list[str] = []
            for code, logit in zip(exclusive, logits):
                if rng.random() < _logistic(logit + shift):
                    chosen = [code]
                    break
            if not chosen:
                chosen = [c for c, chance in zip(codes, chances) if rng.random() < chance]
                if other and rng.random() < p.other:
                    chosen.append("other")
                if not chosen:
                    if codes:
                        chosen = [self._pick(step, list(codes))]
                    elif exclusive:
                        chosen = [exclusive[0]]
                    elif other:
                        chosen = ["other"]
                    else:
                        return None
            if step.constraint is None or self._ok(step, person, chosen):
                return chosen
            while len(chosen) > 1:  # "pick few": drop items until the constraint holds
                chosen.pop(rng.randrange(len(chosen)))
                if self._ok(step, person, chosen):
                    return chosen
        return self._first_ok(step, person, [[c] for c in [*codes, *exclusive]])

    def _rank(self, step: _Step, person: _Respondent, required: bool):
        if self._skips(required):
            return None
        allowed = self._allowed(step, person)
        codes = list(step.options) if allowed is None else list(allowed)
        if not codes:
            return None
        for _ in range(TRIES):
            self.rng.shuffle(codes)
            if self._ok(step, person, list(codes)):
                return list(codes)
        return None

    def _number(self, step: _Step, person: _Respondent, integer: bool):
        rng = self.rng
        for _ in range(TRIES):
            if step.codes:
                value = step.codes[bisect.bisect_right(step.cum, rng.random() * step.cum[-1])]
            elif step.hint == "age":
                value = rng.gauss(43, 15)
                while not 16 <= value < 91:
                    value = rng.gauss(43, 15)
            elif integer:
                value = rng.expovariate(1 / 3)
            else:
                value = rng.lognormvariate(math.log(60), 1.2)
            value = int(value) if integer else round(float(value), 2)
            if self._ok(step, person, value):
                return value
        if step.valid is not None:
            low = min(step.valid)
            window = sorted(v for v in step.valid if v <= low + 24)
        else:
            window = []
            for v in PROBE:
                if self._ok(step, person, v if integer else float(v)):
                    window.append(v)
                    if len(window) >= 25:
                        break
        if not window:
            return None
        value = rng.choice(window)
        if integer:
            return value
        fraction = round(value + rng.random(), 2)
        return fraction if self._ok(step, person, fraction) else float(value)

    def _integer(self, step, person, required):
        return None if self._skips(required) else self._number(step, person, True)

    def _decimal(self, step, person, required):
        return None if self._skips(required) else self._number(step, person, False)

    def _date(self, step: _Step, person: _Respondent, required: bool):
        if self._skips(required):
            return None
        today = dt.date.fromisoformat(person.today)
        for _ in range(TRIES):
            value = (today - dt.timedelta(days=self.rng.randrange(365))).isoformat()
            if self._ok(step, person, value):
                return value
        window = []
        for days in [*range(0, 1096), *range(-1, -367, -1)]:
            value = (today - dt.timedelta(days=days)).isoformat()
            if self._ok(step, person, value):
                window.append(value)
                if len(window) >= 30:
                    break
        return self.rng.choice(window) if window else None

    def _text(self, step: _Step, person: _Respondent, required: bool):
        rng = self.rng
        if not required:
            share = self.profile.open_text / (4 if person.speeder else 1)
            if rng.random() >= share:
                return None
        candidates = [rng.choice(step.pool)] if step.pool else []
        if step.constraint is not None:  # shapes that common text constraints ask for
            digits = "".join(str(rng.randrange(10)) for _ in range(4))
            candidates += [*rng.sample(step.pool, min(3, len(step.pool))), "1380000" + digits,
                           "10" + digits, "好", "情况良好", "无"]
        return self._first_ok(step, person, candidates)

    def _acknowledge(self, step, person, required):
        if self._skips(required):
            return None
        return True if self._ok(step, person, True) else None


def _period(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """[start, end] in UTC; by default the 28 days before today's midnight (UTC)."""
    def utc(value: dt.datetime) -> dt.datetime:
        if not isinstance(value, dt.datetime):
            raise SimulationError("start and end must be datetimes")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    if end is None:
        end = dt.datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end = utc(end)
    start = utc(start) if start is not None else end - dt.timedelta(days=28)
    if (end - start).total_seconds() < 60:
        raise SimulationError("the period must be at least a minute long")
    return start, end


def simulate(compiled: Compiled, n: int, seed: int, profile: Profile | None = None,
             channels: Sequence[str] | None = None, wave: str | None = None,
             start: dt.datetime | None = None, end: dt.datetime | None = None) -> Iterator[SimulatedResponse]:
    """``n`` simulated responses to ``compiled``, deterministic for a given seed.

    :param profile: how residents differ; ``default_profile(questionnaire)`` by default.
    :param channels: channel codes to spread responses over (by ``profile.channel_weights``);
        default: the questionnaire's channels; an empty list gives channel None.
    :param wave: wave name, for ``profile.wave_shift``; stored on each response.
    :param start, end: the fieldwork period (naive datetimes are taken as UTC); default:
        the 28 days before today's midnight UTC (pass both for output independent of the date).
    :raises SimulationError: at once for a profile or questionnaire that cannot be simulated.
    """
    if n < 0:
        raise SimulationError("n must not be negative")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SimulationError("seed must be a non-negative integer")
    profile = profile if profile is not None else default_profile(compiled.questionnaire)
    simulator = _Simulator(compiled, profile, channels, wave, start, end, seed)
    return simulator.responses(n)
