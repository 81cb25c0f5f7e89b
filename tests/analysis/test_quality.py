"""Known-answer tests of the data-quality flags on tiny frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.quality import (duplicates, exclude_flagged, flag_quality, quality_summary, speeders,
                                        straightliners)

SCALE = ["1", "2", "3", "4", "5", "9"]


def cat(values):
    return pd.Categorical(values, categories=SCALE, ordered=True)


def frame(**columns):
    n = len(next(iter(columns.values())))
    base = {"_id": np.arange(1, n + 1),
            "_submitted_at": pd.date_range("2025-05-01 08:00", periods=n, freq="h", tz="UTC")}
    return pd.DataFrame(base | columns, index=pd.RangeIndex(10, 10 + n))


def test_speeders_ratio_of_median_and_unknown_durations():
    f = frame(_duration_s=[100.0, 200.0, 300.0, 50.0, np.nan, 59.0])
    # median of known durations = 100; 0.6 x 100 = 60
    assert speeders(f, ratio=0.6).tolist() == [False, False, False, True, False, True]
    assert speeders(f).tolist() == [False] * 6  # 0.3 x 100 = 30
    assert speeders(f).index.equals(f.index)


def test_speeders_fixed_threshold_and_edge_cases():
    f = frame(_duration_s=[89.9, 90.0, np.nan, -5.0])
    assert speeders(f, threshold_s=90).tolist() == [True, False, False, False]
    assert not speeders(frame(_duration_s=[np.nan, np.nan])).any()


def test_speeders_fall_back_to_timestamps():
    f = frame(x=[1, 2, 3])
    f["_started_at"] = f["_submitted_at"] - pd.to_timedelta([600, 30, np.nan], unit="s")
    assert speeders(f).tolist() == [False, True, False]


def test_straightliners():
    f = frame(a=cat(["1", "1", "1", "2", None]), b=cat(["1", "2", "1", "2", "3"]),
              c=cat(["1", "1", None, "2", "3"]), d=cat(["1", "1", "1", "2", "3"]),
              e=cat(["1", "1", "1", "2", "3"]), x=cat(["5", "5", "5", "5", "5"]), y=cat(["5"] * 5))
    flags = straightliners(f, {"C1": ["a", "b", "c", "d", "e"], "short": ["x", "y"]}, min_batteries=1)
    # row 3 has 4 answered identical items (NA ignored); row 5 has 4 identical "3"s but "a" missing
    assert flags.tolist() == [True, False, True, True, True]
    assert straightliners(f, {"C1": ["a", "b", "c", "d", "e"]}, min_items=5, min_batteries=1).tolist() == [
        True, False, False, True, False]
    assert not straightliners(f, {"short": ["x", "y"]}, min_batteries=1).any()  # shorter than min_items: skipped
    with pytest.raises(KeyError):
        straightliners(f, {"C1": ["a", "zz"]}, min_items=1)


def test_straightliners_need_every_answered_battery_uniform():
    """Is one uniform battery alone not enough, while uniform answers in every battery are flagged?"""
    f = frame(a=cat(["1", "2", "1"]), b=cat(["1", "3", "1"]), c=cat(["3", "4", "2"]), d=cat(["2", "2", "2"]),
              p=cat(["4", "4", "4"]), q=cat(["4", "4", "4"]))
    batteries = {"one": ["a", "b"], "two": ["c", "d"], "three": ["p", "q"]}
    assert straightliners(f, batteries, min_items=2).tolist() == [False, False, True]
    assert straightliners(f, {"one": ["a", "b"], "three": ["p", "q"]}, min_items=2).tolist() == [True, False, True]
    assert straightliners(f, {"three": ["p", "q"]}, min_items=2).tolist() == [False] * 3   # one battery only


def test_duplicates_keep_earliest_and_ignore_empty_rows():
    f = frame(B1=cat(["1", "1", "2", None, "1", None]),
              G1=pd.array(["多巡逻", "多巡逻", "多巡逻", pd.NA, "多巡逻", pd.NA], dtype="string"),
              **{"C3/1": [True, True, True, False, True, False]})
    f["_duration_s"] = [100.0, 50, 60, 70, 80, 90]  # "_" columns are not compared
    assert duplicates(f).tolist() == [False, True, False, False, True, False]
    assert duplicates(f, columns=["G1"]).tolist() == [False, True, True, False, True, False]


def test_duplicates_order_by_submission_time():
    f = frame(B1=cat(["1", "1"]))
    f["_submitted_at"] = f["_submitted_at"].iloc[::-1].to_numpy()
    assert duplicates(f).tolist() == [True, False]


def test_flag_quality_summary_and_exclude():
    f = frame(a=cat(["1", "1", "2", "2"]), b=cat(["1", "1", "3", "2"]), c=cat(["1", "1", "4", "5"]),
              d=cat(["1", "1", "5", "2"]), e=cat(["3", "3", "1", "2"]), g=cat(["3", "3", "2", "2"]),
              h=cat(["3", "3", "2", "2"]), k=cat(["3", "3", "1", "1"]), _duration_s=[300.0, 290.0, 20.0, 310.0])
    flags = flag_quality(f, {"C1": ["a", "b", "c", "d"], "F2": ["e", "g", "h", "k"]})
    assert list(flags.columns) == ["speeder", "straightliner", "duplicate", "flagged"]
    assert flags.to_dict("list") == {"speeder": [False, False, True, False],
                                     "straightliner": [True, True, False, False],
                                     "duplicate": [False, True, False, False],
                                     "flagged": [True, True, True, False]}
    assert quality_summary(flags) == {"n": 4, "speeder": 1, "straightliner": 2, "duplicate": 1, "flagged": 3,
                                      "kept": 1}
    kept = exclude_flagged(f, flags)
    assert kept.index.tolist() == [13] and len(f) == 4
    assert exclude_flagged(f, flags["flagged"]).equals(kept)
    with pytest.raises(ValueError):
        exclude_flagged(f, flags.iloc[:2])


def test_empty_frame():
    f = frame(a=cat([]))
    assert quality_summary(flag_quality(f, {"C1": ["a"]}, min_items=1)) == {
        "n": 0, "speeder": 0, "straightliner": 0, "duplicate": 0, "flagged": 0, "kept": 0}
