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

from surveyapp.simulate.answers import OPEN_ANSWERS, OTHER_ANSWERS
from surveyapp.simulate.engine import simulate
from surveyapp.simulate.profile import DONT_KNOW_CODES, Profile, SimulatedResponse, SimulationError, default_profile

__all__ = ["DONT_KNOW_CODES", "OPEN_ANSWERS", "OTHER_ANSWERS", "Profile", "SimulatedResponse",
           "SimulationError", "default_profile", "simulate"]
