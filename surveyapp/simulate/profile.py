"""How simulated residents differ (``Profile``), what a simulated response is, and the
bundled questionnaire's default profile."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from surveyapp.questionnaire.compiled import Compiled
from surveyapp.questionnaire.schema import Questionnaire, walk_all
from surveyapp.simulate.answers import OPEN_ANSWERS, OTHER_ANSWERS


DONT_KNOW_CODES = frozenset({"9", "99", "98", "dk", "DK", "dont_know", "don't_know"})
"""Choice codes taken for 说不清/不了解 (non-substantive): drawn at ``Profile.dont_know`` rate."""

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
    names = {question.name: question for question, _ in walk_all(q.items)}  # roster questions too
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
