"""Seeded simulation of plausible survey responses (demos, report development, load tests).

``simulate(compiled, n, seed)`` yields ``SimulatedResponse`` objects whose ``answers``
pass ``validate(compiled, answers)``: the simulator walks the questions in evaluation
order exactly as the validator does (relevance of questions and groups, required
expressions, choice filters, exclusive choices, or_other boxes, constraints, and
calculations, which it computes but never submits).

Pure: no Flask, no database. Same seed, same arguments: same responses, and the first
k responses of a run of n are those of a run of k.

The response model
------------------
Every simulated resident has a latent attitude ``a ~ N(0, 1)``. An ordinal item
(a select_one whose codes run from the most to the least positive answer, as in the
bundled questionnaire) is answered by an ordered-probit rule::

    y     = shift + sqrt(cohesion)·a + sqrt(1 − cohesion)·e,   e ~ N(0, 1) per item
    shift = mood + channel_shift[ch] + channel_item_shift[ch][item]
            + wave_shift[w] + wave_channel_shift[w][ch]

``y`` is cut at thresholds chosen so that with ``shift = 0`` the answers follow the
item's base distribution (``Profile.scales``). Shifts are in standard deviations of
``y``: with a base 安全感率 of 95%, a channel shift of −0.5 gives about 87%. ``cohesion``
makes positive answers cluster within a respondent. A share of answers is the
don't-know code ("9") instead, speeders answer in 30–90 s, straight-liners give one
answer to every row of a matrix.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
import re
from collections import ChainMap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from surveyapp.questionnaire import types
from surveyapp.questionnaire.compiled import Compiled
from surveyapp.questionnaire.expressions import Env
from surveyapp.questionnaire.schema import Question, Questionnaire, walk
# The validator's own helpers, so that filters and calculations see exactly what it sees.
from surveyapp.questionnaire.validate import filter_row, storable

__all__ = ["DONT_KNOW_CODES", "OPEN_ANSWERS", "OTHER_ANSWERS", "Profile", "SimulatedResponse",
           "SimulationError", "default_profile", "simulate"]

DONT_KNOW_CODES = frozenset({"9", "99", "98", "dk", "DK", "dont_know", "don't_know"})
"""Choice codes taken for 说不清/不了解 (non-substantive): drawn at ``Profile.dont_know`` rate."""

BATCH = 256          # respondents whose ordinal answers are drawn together (fixed: keeps prefixes stable)
ATTEMPTS = 20        # whole-response redraws before giving up
TRIES = 12           # redraws of one answer against its constraint
PROBE = range(-100, 1001)  # integers tried to learn a fixed numeric constraint
UTC = dt.timezone.utc
CHINA = dt.timezone(dt.timedelta(hours=8))
# Relative chance of a submission in each hour of the day, China time.
HOUR_WEIGHT = (0.04, 0.02, 0.01, 0.01, 0.01, 0.03, 0.12, 0.35, 0.6, 0.8, 0.85, 0.8,
               0.7, 0.6, 0.7, 0.75, 0.8, 0.85, 0.95, 1.0, 1.0, 0.9, 0.6, 0.2)

# --- open answers: our own sentences -------------------------------------------------------

G1_ANSWERS = (
    "晚上小区后门那条路太黑了，路灯坏了好几个月，希望尽快修好。",
    "希望晚上多安排几次巡逻，特别是十点以后。",
    "电动车停在楼下经常被偷电瓶，监控又拍不清楚。",
    "小区里乱停车太严重，消防通道经常被堵。",
    "门禁形同虚设，外卖和陌生人随便进出。",
    "最近诈骗电话特别多，老年人容易上当，希望多来讲讲防骗知识。",
    "广场舞音响太吵，晚上九点以后还在放，希望有人管一管。",
    "楼上经常往下扔东西，建议装高空抛物摄像头。",
    "出租房里住的人流动大，希望加强登记管理。",
    "菜市场门口早上车太多，老人孩子过马路不安全。",
    "楼道里有人给电动车充电，还堆了很多杂物，有火灾隐患。",
    "希望警务室能固定时间有人值班。",
    "小区周边有几家棋牌室，晚上吵闹，怀疑有人赌博。",
    "上个月我家电动车被偷了，报警后一直没消息，麻烦联系我 138 0000 0000。",
    "地下车库的监控太少，基本没有覆盖。",
    "外墙上贴满了小广告和贷款广告，很多是诈骗。",
    "夜里常有人在路边喝酒吵闹。",
    "没什么，挺好的。",
    "总体还可以，说不好。",
)
G2_ANSWERS = (
    "王警官工作很认真，上次帮我们调解邻里纠纷，非常感谢！",
    "社区民警的电话和微信二维码能不能贴在每个单元门口？",
    "希望民警多到小区走走，很多居民不认识社区民警。",
    "建议定期在小区搞反诈宣传，给老年人发些资料。",
    "派出所办事效率提高了很多，点赞。",
    "希望网上能办的业务再多一些，少跑几趟。",
    "接警后来得挺快，态度也好。",
    "上次报警等了四十多分钟才有人来，希望改进。",
    "我要反映楼下商铺的问题，我的身份证号 123456789012345678，电话13800000000，请回电。",
    "社区民警辛苦了，希望多配几个辅警。",
    "希望民警处理纠纷时多听听双方的意见。",
    "微信群里发的安全提示很有用，希望继续。",
    "有事可以找张警官，他的手机 139-0000-0000 大家都知道。",
    "夜里巡逻车经过时能不能别开警笛，吵得睡不着。",
    "没有意见。",
    "无",
)
OPEN_ANSWERS: Mapping[str, tuple[str, ...]] = {
    "g1_improve": G1_ANSWERS, "g2_suggestions": G2_ANSWERS, "*": G1_ANSWERS + G2_ANSWERS}
"""Open answers by question name; "*" serves every other text question."""

OTHER_ANSWERS = (
    "小区门口的路口没有红绿灯", "遛狗不拴绳", "夜里有人飙车", "附近工地晚上施工", "流浪狗太多",
    "外卖电动车骑得太快", "小区监控坏了没人修", "快递柜附近经常丢件", "楼道灯坏了没人修",
)
"""Texts for the ``<name>_other`` box of an or_other question."""


class SimulationError(ValueError):
    """The questionnaire (or the profile) cannot be simulated as asked."""


class _Redraw(Exception):
    """This response went into a corner (e.g. a required choice with no option left)."""


def _mapping() -> Any:
    return field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    """How simulated residents differ. Shifts are in standard deviations of the latent attitude.

    Per-question entries are keyed by question name; questions without one get generic
    behaviour (ordinal if the substantive codes are 3+ digit strings, else uniform).
    """

    mood: float = 0.0                      # shift of every respondent (+ = more positive)
    cohesion: float = 0.45                 # share of an item's latent variance that is the respondent's attitude
    channel_weights: Mapping[str, float] = _mapping()   # relative sample size per channel (default 1)
    channel_shift: Mapping[str, float] = _mapping()
    channel_item_shift: Mapping[str, Mapping[str, float]] = _mapping()  # channel -> question -> shift
    wave_shift: Mapping[str, float] = _mapping()
    wave_channel_shift: Mapping[str, Mapping[str, float]] = _mapping()  # wave -> channel -> shift
    scales: Mapping[str, Sequence[float]] = _mapping()   # ordinal base distribution, substantive codes in list order
    weights: Mapping[str, Mapping[str, float]] = _mapping()
    """select_one: relative weights of codes; select_multiple: chance of ticking each code
    (for an exclusive code: the chance of ticking it alone); integer/decimal: weights of values."""
    attitude_links: Mapping[str, float] = _mapping()    # select_multiple: logit change of the exclusive code per SD
    dont_know: float = 0.03                 # share of "9"/说不清 answers where the list has one
    dont_know_items: Mapping[str, float] = _mapping()   # per-question multiplier of ``dont_know``
    speeders: float = 0.04                  # self-completed responses done in 30–90 s
    straightliners: float = 0.03            # same answer across each matrix (speeders: 50%)
    open_text: float = 0.3                  # chance of answering an optional text question
    other: float = 0.04                     # chance of "other" on an or_other question
    interview: float = 0.1                  # share of mode "interview"
    item_nonresponse: float = 0.04          # chance of skipping an optional non-text question
    open_answers: Mapping[str, Sequence[str]] = field(default_factory=lambda: dict(OPEN_ANSWERS))
    other_answers: Sequence[str] = OTHER_ANSWERS


@dataclass(frozen=True)
class SimulatedResponse:
    """One simulated submission, in the API's JSON value forms."""

    channel: str | None
    answers: dict[str, Any]
    started_at: dt.datetime
    submitted_at: dt.datetime
    mode: str = "self"
    wave: str | None = None
    speeder: bool = False
    straightliner: bool = False

    @property
    def duration_s(self) -> float:
        return (self.submitted_at - self.started_at).total_seconds()


# --- the bundled questionnaire's default profile ----------------------------------------

_BUNDLED_SCALES = {
    "b1_safety": (0.30, 0.38, 0.26, 0.045, 0.015),
    "b2_night": (0.22, 0.34, 0.32, 0.09, 0.03),
    "b3_trend": (0.20, 0.35, 0.38, 0.05, 0.02),
    "b4_rating": (0.25, 0.40, 0.28, 0.05, 0.02),
    "c1_burglary": (0.45, 0.33, 0.15, 0.05, 0.02),
    "c1_bike_theft": (0.25, 0.30, 0.25, 0.14, 0.06),
    "c1_fraud": (0.20, 0.28, 0.27, 0.17, 0.08),
    "c1_pickpocket": (0.50, 0.30, 0.13, 0.05, 0.02),
    "c1_fight": (0.55, 0.28, 0.12, 0.04, 0.01),
    "c1_dispute": (0.35, 0.35, 0.20, 0.07, 0.03),
    "c1_noise": (0.20, 0.30, 0.28, 0.15, 0.07),
    "c1_high_throw": (0.40, 0.30, 0.17, 0.09, 0.04),
    "c1_traffic": (0.15, 0.25, 0.28, 0.20, 0.12),
    "c1_vice": (0.70, 0.18, 0.08, 0.03, 0.01),
    "d1_officer": (0.35, 0.35, 0.30),
    "d2_contact": (0.62, 0.38),
    "d3_office": (0.58, 0.36, 0.06),
    "d4_patrol": (0.18, 0.34, 0.26, 0.17, 0.05),
    "d5_visit": (0.15, 0.22, 0.63),
    "e1_overall": (0.33, 0.38, 0.22, 0.05, 0.02),
    "e3_speed": (0.33, 0.38, 0.19, 0.07, 0.03),
    "e3_attitude": (0.40, 0.38, 0.15, 0.05, 0.02),
    "e3_outcome": (0.30, 0.36, 0.22, 0.08, 0.04),
    "e3_ease": (0.35, 0.38, 0.18, 0.06, 0.03),
    "e4_fairness": (0.30, 0.40, 0.22, 0.06, 0.02),
    "f2_access": (0.45, 0.30, 0.12, 0.05, 0.08),
    "f2_cctv": (0.50, 0.30, 0.12, 0.04, 0.04),
    "f2_lighting": (0.40, 0.33, 0.17, 0.07, 0.03),
    "f2_guard": (0.30, 0.32, 0.20, 0.08, 0.10),
    "f2_ebike": (0.25, 0.25, 0.18, 0.07, 0.25),
    "f3_publicity": (0.40, 0.42, 0.18),
    "f4_participation": (0.08, 0.20, 0.45, 0.27),
    "f5_tipoff": (0.10, 0.70, 0.20),
}
_BUNDLED_WEIGHTS = {
    "a1_sex": {"1": 0.48, "2": 0.50, "3": 0.02},
    "a2_age": {"1": 0.10, "2": 0.20, "3": 0.22, "4": 0.28, "5": 0.20},
    "a3_residence": {"1": 0.08, "2": 0.15, "3": 0.15, "4": 0.22, "5": 0.40},
    "a5_housing": {"1": 0.70, "2": 0.24, "3": 0.04, "4": 0.02},
    "a6_household": {1: 0.10, 2: 0.25, 3: 0.30, 4: 0.18, 5: 0.10, 6: 0.05, 7: 0.02},
    "e2_contact": {"1": 0.32, "2": 0.68},
    "c4_reported": {"1": 0.62, "2": 0.38},
    "c2_factors": {"1": 0.45, "2": 0.50, "3": 0.10, "4": 0.35, "5": 0.12, "6": 0.12, "7": 0.20, "8": 0.18},
    "c3_harm": {"1": 0.45, "2": 0.45, "3": 0.05, "4": 0.06, "5": 0.15, "6": 0.06, "7": 0.86},
    "c4_reason": {"1": 0.45, "2": 0.30, "3": 0.12, "4": 0.15, "5": 0.08},
    "f1_measures": {"1": 0.65, "2": 0.30, "3": 0.25, "4": 0.45, "5": 0.25, "6": 0.05, "7": 0.08},
}
_BUNDLED_LINKS = {"c3_harm": 0.6, "f1_measures": -0.2}
_BUNDLED_DONT_KNOW = {"c1_vice": 3.0, "c1_high_throw": 1.5, "e4_fairness": 2.0, "b3_trend": 1.5,
                      "e1_overall": 1.2, "d3_office": 0.5, "d5_visit": 0.7, "f2_access": 1.3,
                      "f2_cctv": 1.3, "f2_lighting": 1.3, "f2_guard": 1.3, "f2_ebike": 1.3}
# The bundled communities: sizes, overall levels and local problems (c302 is the weak spot:
# officers seldom seen or known, lower satisfaction; c202 e-bike theft; c103 dark streets).
_BUNDLED_CHANNELS = {
    "c101": (1.0, 0.25, {}),
    "c102": (0.8, 0.10, {}),
    "c103": (0.9, 0.0, {"c1_traffic": -0.5, "b2_night": -0.35, "f2_lighting": -0.6}),
    "c201": (1.2, 0.15, {"c1_noise": -0.45}),
    "c202": (0.7, -0.05, {"c1_bike_theft": -0.6, "f2_ebike": -0.6}),
    "c301": (1.0, 0.30, {"d5_visit": 0.3}),
    "c302": (0.8, -0.35, {"d4_patrol": -0.35, "d1_officer": -0.3, "d5_visit": -0.3, "e1_overall": -0.15}),
}
_GENERIC_CHANNEL_SHIFTS = (0.25, 0.10, 0.0, 0.15, -0.05, 0.30, -0.45)
_WAVE_STEP = 0.12                                                  # overall improvement per wave
_CHANNEL_TRENDS = (0.08, -0.25, 0.0, -0.2, 0.05, 0.10, 0.25)    # + a channel's own drift per wave


def default_profile(questionnaire: Questionnaire | Compiled, waves: Sequence[str] = ()) -> Profile:
    """A profile with clearly different channels; calibrated for the bundled questionnaire.

    Known question names (the bundled community_safety questionnaire) get realistic
    distributions (安全感率 ≈ 94%, 满意率 ≈ 93%, 见警率 ≈ 52%, 熟识率 ≈ 35%/70%);
    the bundled communities get different levels and local problems. ``waves`` (in time
    order) get a small overall improvement per wave, with some channels rising and some
    falling.
    """
    q = getattr(questionnaire, "questionnaire", questionnaire)
    names = {question.name: question for question in q.questions()}
    lists = {name: [c for c in q.choices.get(question.list_name or "", ()) if c.value not in DONT_KNOW_CODES]
             for name, question in names.items()}
    scales = {k: v for k, v in _BUNDLED_SCALES.items()
              if k in names and names[k].type == "select_one" and len(lists[k]) == len(v)}
    weights = {k: v for k, v in _BUNDLED_WEIGHTS.items() if k in names}
    codes = [c.code for c in q.channels]
    channel_weights, channel_shift, channel_items = {}, {}, {}
    for index, code in enumerate(codes):
        size, shift, items = _BUNDLED_CHANNELS.get(
            code, (1.0, _GENERIC_CHANNEL_SHIFTS[index % len(_GENERIC_CHANNEL_SHIFTS)], {}))
        channel_weights[code], channel_shift[code] = size, shift
        if items:
            channel_items[code] = {k: v for k, v in items.items() if k in scales}
    wave_shift = {wave: _WAVE_STEP * i for i, wave in enumerate(waves)}
    wave_channel = {wave: {code: _CHANNEL_TRENDS[j % len(_CHANNEL_TRENDS)] * i for j, code in enumerate(codes)}
                    for i, wave in enumerate(waves)}
    return Profile(
        channel_weights=channel_weights, channel_shift=channel_shift, channel_item_shift=channel_items,
        wave_shift=wave_shift, wave_channel_shift=wave_channel, scales=scales, weights=weights,
        attitude_links={k: v for k, v in _BUNDLED_LINKS.items() if k in names},
        dont_know_items={k: v for k, v in _BUNDLED_DONT_KNOW.items() if k in names},
    )


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
        calculations = {x.name for x in compiled.order if x.type == "calculate"}
        self.steps: list[_Step] = []
        self.ordinal: list[_Step] = []
        for question in compiled.order:
            step = _Step(question, compiled)
            step.matrix = matrix_of.get(question.name)
            if step.constraint is not None:
                step.pending = tuple(x.name for x in compiled.order
                                     if x.name in step.constraint.references - done - {question.name}
                                     and x.name in calculations)
            self._prepare(step, other_boxes)
            self.steps.append(step)
            done.add(question.name)
        # Calculations nothing refers to are left to the validator; notes need no step.
        used = set().union(*(e.references for e in compiled.expressions.values()))
        self.steps = [s for s in self.steps if s.kind != "skip" and (s.kind != "calc" or s.name in used)]
        self.deferred = [s for s in self.steps if s.pending]
        self.has_matrix = any(s.matrix for s in self.steps if s.kind != "skip")
        self.calc_steps = {s.name: s for s in self.steps if s.kind == "calc"}
        self.calculations = calculations
        self._thresholds()

    def _prepare(self, step: _Step, other_boxes: set[str]) -> None:
        p, question, name = self.profile, step.question, step.question.name
        qtype = question.type
        if types.get(qtype) is None or (not types.get(qtype).answerable and qtype != "calculate"):
            step.kind = "skip"
        elif qtype == "calculate":
            step.kind, step.expr = "calc", self.compiled.expression(name, "calculation")
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
        by_name = {s.name: s for s in self.steps}
        target = next((s for s in self.steps if s.question.type == "select_one" and wanted <= set(s.options)), None)
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


# --- the simulator ----------------------------------------------------------------------------

class _Respondent:
    __slots__ = ("values", "env", "today", "cats", "disposition", "straight", "speeder", "pins", "lines", "cache")

    def __init__(self, today, cats, disposition, straight, speeder, pins):
        self.values: dict[str, Any] = {}
        self.env = Env(self.values, today=today)
        self.today = today
        self.cats = cats
        self.disposition = disposition
        self.straight = straight
        self.speeder = speeder
        self.pins = pins
        self.lines: dict[str, str] = {}
        self.cache: dict[int, bool] = {}


class _Simulator:
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
        for step in self.plan.steps:
            if step.kind not in ("skip", "calc"):
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
                self._walk(person)
            except _Redraw:
                continue
            if all(_holds(s, person.values, person.values[s.name], today)
                   for s in self.plan.deferred if s.name in person.values):
                break
        else:
            raise SimulationError("could not simulate a valid response in "
                                  f"{ATTEMPTS} attempts (questionnaire {self.plan.compiled.questionnaire.form_id})")
        answers = {k: v for k, v in person.values.items() if k not in self.plan.calculations}
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

    def _walk(self, person: _Respondent) -> None:
        values, env, relevant = person.values, person.env, self._relevant
        for step in self.plan.steps:
            if step.conditions and not relevant(step.conditions, person):
                continue
            if step.kind == "calc":
                values[step.name] = storable(step.expr.evaluate(env))
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
                    pending[name] = storable(calc.expr.evaluate(env))
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


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


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
