"""Rosters in the analysis: one typed frame per roster, and rates over entries with an
interval that treats the entries of a response as a cluster (known answers)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from surveyapp.analysis import indicators
from surveyapp.analysis.frame import build_dataset
from surveyapp.analysis.plan_file import build_plan
from surveyapp.analysis.sample import Sample
from surveyapp.questionnaire import load_file

FORM = load_file(Path(__file__).resolve().parents[1] / "data" / "household_roster.yaml")
T0 = dt.datetime(2026, 11, 3, 8, 0, tzinfo=dt.timezone.utc)
# Victims per household: 1 of 2, 0 of 1, 2 of 3, 0 of 2 (one with m_victim missing: out of the base).
HOUSEHOLDS = [["yes", "no"], ["no"], ["yes", "yes", "no"], ["no", None]]


def member(victim):
    entry = {"m_sex": "f", "m_age": 30}
    return entry if victim is None else {**entry, "m_victim": victim}


@pytest.fixture
def dataset():
    documents = [{"safety": "1", "hh_size": len(h), "member": [member(v) for v in h]} for h in HOUSEHOLDS]
    documents.append({"safety": "2", "hh_size": 1})   # roster missing: no entries
    n = len(documents)
    meta = {"_id": [10, 11, 12, 13, 14], "_version": [1] * n, "_channel": ["n1"] * n, "_mode": ["self"] * n,
            "_started_at": [T0] * n, "_submitted_at": [T0 + dt.timedelta(minutes=5)] * n}
    return build_dataset(meta, documents, [FORM], [1])


@pytest.fixture
def plan():
    doc = {"form_id": "household_roster", "indicators": [
        {"name": "member_victim_rate", "kind": "rate", "label": "成员受害率", "question": "m_victim",
         "positive": ["yes"], "higher_is_better": False},
        {"name": "safety_rate", "kind": "rate", "label": "安全感率", "question": "safety", "positive": ["1", "2"]}]}
    return build_plan(doc, "household_roster.analysis.yaml", FORM)


def test_roster_frame_is_typed_and_linked(dataset):
    """Does each roster get a frame of entries with _id, member_index and main-frame types?"""
    members = dataset.roster("member")
    assert list(members.frame.columns) == ["_id", "member_index", "m_sex", "m_age", "m_victim", "m_crime"]
    assert list(members.frame["_id"]) == [10, 10, 11, 12, 12, 12, 13, 13]
    assert list(members.frame["member_index"]) == [1, 2, 1, 1, 2, 3, 1, 2]
    assert isinstance(members.frame["m_sex"].dtype, pd.CategoricalDtype)
    assert list(members.frame["m_sex"].cat.categories) == ["m", "f"]
    assert str(members.frame["m_age"].dtype) == "Int64"
    assert members.frame["m_victim"].isna().sum() == 1
    assert dataset.roster("incident").frame.empty and "m_age" not in dataset.frame
    with pytest.raises(KeyError, match="member, incident"):
        dataset.roster("pets")


def test_subset_keeps_the_entries_of_kept_responses(dataset):
    """Does a subset of responses keep only their entries?"""
    kept = dataset.subset(dataset.frame["_id"] >= 12)
    assert set(kept.roster("member").frame["_id"]) == {12, 13}


def test_entry_rate_counts_entries_with_a_cluster_interval(dataset, plan):
    """Is 成员受害率 victims / members answering, with the response-clustered (ratio) SE?"""
    sample = Sample(dataset.frame, rosters=dataset.rosters)
    result = indicators.estimate(plan.indicator("member_victim_rate"), sample, plan)
    y = np.array([1, 0, 2, 0.0])          # victims per household (household 14 has no entries)
    m = np.array([2, 1, 3, 1.0])          # members answering m_victim
    p = y.sum() / m.sum()
    k = len(y)
    se = math.sqrt(k / (k - 1) * np.sum((y - p * m) ** 2)) / m.sum()
    assert result.estimate == pytest.approx(3 / 7) and result.n == 7
    assert result.se == pytest.approx(se, rel=1e-9) and result.df == k - 1
    assert result.extra["base"] == "entries" and result.extra["clusters"] == 4
    logit, half = math.log(p / (1 - p)), stats.t.ppf(0.975, k - 1) * se / (p * (1 - p))
    assert result.ci_low == pytest.approx(1 / (1 + math.exp(-(logit - half))), rel=1e-9)
    assert result.ci_high == pytest.approx(1 / (1 + math.exp(-(logit + half))), rel=1e-9)
    assert result.extra["higher_is_better"] is False


def test_roster_indicators_beside_respondent_ones(dataset, plan):
    """Does estimate_all give the entry rate and the respondent rate each on its own base?"""
    results = indicators.estimate_all(Sample(dataset.frame, rosters=dataset.rosters), plan)
    assert results["safety_rate"].n == 5 and results["member_victim_rate"].n == 7


def test_screened_responses_leave_their_entries_out(dataset, plan):
    """Are entries of responses not in the sample (e.g. screened out) left out of the base?"""
    sample = Sample(dataset.frame, rosters=dataset.rosters).where(dataset.frame["_id"] != 12)
    result = indicators.estimate(plan.indicator("member_victim_rate"), sample, plan)
    assert (result.estimate, result.n) == (pytest.approx(1 / 4), 4)


def test_without_rosters_the_entry_rate_is_absent(dataset, plan):
    """Without the rosters, is the entry rate absent (NaN, n 0, a reason) rather than wrong?"""
    result = indicators.estimate(plan.indicator("member_victim_rate"), dataset.frame, plan)
    assert math.isnan(result.estimate) and result.n == 0 and result.extra["reason"] == "roster_not_loaded"


def test_one_household_gives_no_interval(dataset, plan):
    """With the entries of a single response, is there an estimate but no interval?"""
    sample = Sample(dataset.frame, rosters=dataset.rosters).where(dataset.frame["_id"] == 12)
    result = indicators.estimate(plan.indicator("member_victim_rate"), sample, plan)
    assert result.estimate == pytest.approx(2 / 3) and math.isnan(result.ci_low) and result.n == 3
