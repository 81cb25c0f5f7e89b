"""The response frame: types per question, versions, non-substantive codes and waves."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from surveyapp.analysis.frame import META_COLUMNS, assign_waves, build_dataset
from surveyapp.questionnaire import load_text

V1 = """form_id: f
title: 表
survey:
  - {type: select_one safe, name: safe, label: 安全吗}
  - type: begin_group
    name: grid
    appearance: table-list
    label: 评价
    children:
      - {type: select_one sat, name: g1, label: 一}
      - {type: select_one sat, name: g2, label: 二}
  - {type: select_multiple harm, name: harm, label: 受害}
  - {type: integer, name: age, label: 年龄}
  - {type: decimal, name: km, label: 距离}
  - {type: date, name: day, label: 日期}
  - {type: text, name: note, label: 意见}
  - {type: acknowledge, name: ok, label: 同意}
  - {type: rank sat, name: pri, label: 排序}
  - {type: calculate, name: victim, calculation: "1"}
  - {type: note, name: hello, label: 你好}
choices:
  safe:
    - {name: "1", label: 很安全}
    - {name: "2", label: 不安全}
    - {name: "9", label: 说不清}
  sat:
    - {name: a, label: 好}
    - {name: b, label: 差}
  harm:
    - {name: theft, label: 盗窃}
    - {name: fraud, label: 诈骗}
    - {name: none, label: 都没有, exclusive: true}
"""
V2 = V1.replace("  - {type: integer, name: age, label: 年龄}\n", "  - {type: integer, name: age, label: 年龄}\n"
                "  - {type: select_one sat, name: newq, label: 新题}\n").replace(
    "    - {name: \"2\", label: 不安全}\n", "    - {name: \"2\", label: 不安全}\n    - {name: \"3\", label: 很不安全}\n")

T0 = dt.datetime(2026, 9, 30, 15, 30, tzinfo=dt.timezone.utc)   # 2026-09-30 23:30 in Beijing
T1 = dt.datetime(2026, 9, 30, 16, 30, tzinfo=dt.timezone.utc)   # 2026-10-01 00:30 in Beijing


def _dataset():
    forms = [load_text(V2), load_text(V1)]   # newest first
    answers = [
        {"safe": "1", "g1": "a", "g2": "a", "harm": ["theft", "fraud"], "age": 30, "km": 1.5, "day": "2026-09-01",
         "note": "好", "ok": True, "pri": ["b", "a"], "victim": 1},
        {"safe": "9", "harm": ["none"], "age": 41, "victim": 0},
        {"safe": "3", "newq": "b"},
    ]
    meta = {"_id": [1, 2, 3], "_version": [1, 1, 2], "_channel": ["c1", None, "c2"], "_mode": ["self"] * 3,
            "_field_worker": [None] * 3, "_started_at": [T0 - dt.timedelta(minutes=5), None, T1],
            "_submitted_at": [T0, T1, T1 + dt.timedelta(seconds=90)]}
    return build_dataset(meta, answers, forms, [1, 2])


def test_select_one_is_an_ordered_categorical_of_codes_with_labels_in_the_codebook():
    """Are select_one answers ordered categoricals of codes, union of versions, labels available?"""
    data = _dataset()
    safe = data.frame["safe"]
    assert isinstance(safe.dtype, pd.CategoricalDtype) and safe.cat.ordered
    assert list(safe.cat.categories) == ["1", "2", "3", "9"]
    assert list(safe.astype(object)) == ["1", "9", "3"]
    assert list(data.labelled("safe").astype(object)) == ["很安全", "说不清", "很不安全"]
    assert data.variables["safe"].non_substantive == {"9"}
    assert list(data.substantive("safe").astype(object).fillna("NA")) == ["1", "NA", "3"]


def test_select_multiple_gives_a_nullable_boolean_column_per_choice():
    """Is each choice of a select_multiple a boolean column, NA when the question was not answered?"""
    frame = _dataset().frame
    assert list(frame["harm/theft"].astype(object).fillna("NA")) == [True, False, "NA"]
    assert list(frame["harm/none"].astype(object).fillna("NA")) == [False, True, "NA"]
    assert str(frame["harm/fraud"].dtype) == "boolean"


def test_numbers_dates_text_rank_and_missing_questions():
    """Are numbers numeric, dates dates, ranks positions, and questions missing from a version NA?"""
    frame = _dataset().frame
    assert str(frame["age"].dtype) == "Int64" and frame["age"].tolist()[:2] == [30, 41]
    assert str(frame["km"].dtype) == "Float64"
    assert frame["day"].iloc[0] == pd.Timestamp("2026-09-01")
    assert str(frame["note"].dtype) == "string" and frame["ok"].iloc[0]
    assert frame["pri/b"].iloc[0] == 1 and frame["pri/a"].iloc[0] == 2
    assert frame["newq"].isna().tolist() == [True, True, False]
    assert "hello" not in frame
    assert frame["victim"].tolist()[:2] == [1, 0]


def test_metadata_columns_and_duration():
    """Are the metadata columns there, times in UTC and the duration in seconds?"""
    frame = _dataset().frame
    assert all(c in frame for c in META_COLUMNS)
    assert frame["_duration_s"].iloc[0] == 300 and pd.isna(frame["_duration_s"].iloc[1])
    assert str(frame["_submitted_at"].dt.tz) == "UTC"


def test_batteries_are_the_matrices():
    """Are Likert matrices reported as batteries of their rows?"""
    assert _dataset().batteries() == {"grid": ["g1", "g2"]}


def test_waves_follow_the_local_calendar_day():
    """Does a response submitted at 00:30 Beijing time on 1 October fall in Q4, not Q3?"""
    waves = [("2026Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30)), ("2026Q4", dt.date(2026, 10, 1),
                                                                       dt.date(2026, 12, 31))]
    submitted = pd.Series(pd.to_datetime([T0, T1, dt.datetime(2027, 1, 5, tzinfo=dt.timezone.utc)], utc=True))
    assert list(assign_waves(submitted, waves).astype(object).fillna("NA")) == ["2026Q3", "2026Q4", "NA"]


def test_an_empty_dataset_has_every_column():
    """Does a questionnaire without responses still give a frame with its columns?"""
    data = build_dataset({}, [], [load_text(V1)])
    assert len(data) == 0 and "harm/theft" in data.frame and "safe" in data.frame
