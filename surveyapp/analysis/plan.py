"""The analysis plan: indicators, waves and data-quality rules declared beside a questionnaire.

A plan is a YAML file next to the questionnaire (``community_safety.analysis.yaml``
beside ``community_safety.yaml``/``.xlsx``). It belongs to the questionnaire, not
to one version, so that waves answered on different versions are measured alike.
``plan_file.build_plan`` checks it against the questionnaire and reports every problem
with its file, line, indicator and what is wrong, like a questionnaire file.

Indicator kinds:

* ``rate``: share of valid answers in ``positive`` codes (select_one), or of
  respondents choosing ``any_of`` the codes (select_multiple); answers in
  ``exclude`` (default: the plan's non-substantive codes, e.g. "9" 说不清) and
  unanswered questions are outside the base;
* ``top2``: a rate whose positive codes are the first two of the list;
* ``score``: mean of ``scores`` (a mapping code -> 0..100, or a preset name:
  ``linear`` 100/75/50/25/0, ``100-80-60-40-0``, ``100-80-50-20-0``, given to the
  substantive codes in list order);
* ``composite``: a weighted sum of other indicators on a 0–100 scale (rates
  count as percentages);
* ``admin``: ``numerator`` / ``denominator`` × ``per`` from administrative inputs
  (e.g. cases per 10,000 residents), per unit and period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from surveyapp.questionnaire.schema import Text

TIMEZONE = "Asia/Shanghai"
"""Waves are calendar days where the survey runs (China Standard Time); submit times are stored in UTC."""

KINDS = ("rate", "top2", "score", "composite", "admin")
SCORE_PRESETS: dict[str, tuple[float, ...]] = {
    "linear": (100, 75, 50, 25, 0),
    "100-80-60-40-0": (100, 80, 60, 40, 0),
    "100-80-50-20-0": (100, 80, 50, 20, 0),
}


@dataclass(frozen=True)
class Indicator:
    """One declared indicator (see the module docstring for the kinds)."""

    name: str
    kind: str
    label: Text
    question: str | None = None
    positive: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    components: dict[str, float] = field(default_factory=dict)
    numerator: str | None = None
    denominator: str | None = None
    per: float = 1.0
    higher_is_better: bool = True
    description: Text = field(default_factory=dict)
    roster: str | None = None
    """The roster holding ``question``: the indicator then counts entries, not respondents."""

    @property
    def on_percent_scale(self) -> bool:
        """Rates are proportions (shown as %); scores and composites are points."""
        return self.kind in ("rate", "top2")


@dataclass(frozen=True)
class WaveSpec:
    """A named period with inclusive first and last days."""

    name: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class QualityRules:
    """When a response is flagged; flagged responses leave estimates by default."""

    speeder_ratio: float = 0.3
    speeder_seconds: float | None = None
    straightline_min_items: int = 4
    exclude_flagged: bool = True


@dataclass(frozen=True)
class Weighting:
    """How responses are weighted to population counts the researcher enters (e.g. the census).

    ``margins`` maps a question (or ``_channel``) to {code: population count}; one margin is
    post-stratification, several are raked. ``trim_upper`` caps each weight at that multiple
    of the mean weight (the total is kept). ``strata``/``cluster`` name the sample design's
    columns for design-based standard errors.
    """

    margins: dict[str, dict[str, float]] = field(default_factory=dict)
    trim_upper: float | None = None
    strata: str | None = None
    cluster: str | None = None

    @property
    def is_weighted(self) -> bool:
        return bool(self.margins)


@dataclass(frozen=True)
class Plan:
    """Everything declared about analysing one questionnaire."""

    form_id: str
    indicators: tuple[Indicator, ...] = ()
    waves: tuple[WaveSpec, ...] = ()
    non_substantive: tuple[str, ...] = ("9",)
    min_n: int = 30
    suppress_below: int = 5
    quality: QualityRules = field(default_factory=QualityRules)
    weighting: Weighting = field(default_factory=Weighting)

    def indicator(self, name: str) -> Indicator:
        """The indicator called ``name``; KeyError when there is none."""
        for indicator in self.indicators:
            if indicator.name == name:
                return indicator
        raise KeyError(name)

    def to_definition(self) -> dict[str, Any]:
        """Plain JSON (what the database stores)."""
        data = asdict(self)
        data["waves"] = [{"name": w.name, "start": w.start.isoformat(), "end": w.end.isoformat()} for w in self.waves]
        return data


def default_plan(form_id: str) -> Plan:
    """The plan of a questionnaire that has none: no indicators, default rules."""
    return Plan(form_id)


def plan_from_definition(data: dict[str, Any] | None, form_id: str) -> Plan:
    """Rebuild a stored plan (``None`` gives the default plan)."""
    if not data:
        return default_plan(form_id)
    indicators = tuple(Indicator(**{**i, **{k: tuple(i.get(k, ())) for k in ("positive", "any_of", "exclude")}})
                       for i in data.get("indicators", ()))
    waves = tuple(WaveSpec(w["name"], dt.date.fromisoformat(w["start"]), dt.date.fromisoformat(w["end"]))
                  for w in data.get("waves", ()))
    return Plan(data["form_id"], indicators, waves, tuple(data.get("non_substantive", ("9",))),
                data.get("min_n", 30), data.get("suppress_below", 5), QualityRules(**data.get("quality", {})),
                Weighting(**data.get("weighting", {})))
