"""Data-quality flags: speeders, straight-liners and duplicate answer sets (domain.md §4).

Every function returns boolean Series aligned on the frame's index; nothing is
deleted. ``exclude_flagged`` is a filter for estimates, and flagged responses
stay stored and reviewable. The flags are evidence, not proof: a respondent
in a quiet community may honestly answer "没有" to every C1 item, and two
residents may give the same answers, so report the counts (``quality_summary``)
beside results that exclude them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveyapp.analysis.plan import QualityRules

FLAGS = ("speeder", "straightliner", "duplicate")


def _durations(frame: pd.DataFrame) -> pd.Series:
    """Completion time in seconds; NaN when unknown or negative (clock trouble)."""
    if "_duration_s" in frame:
        seconds = pd.to_numeric(frame["_duration_s"], errors="coerce").astype(float)
    elif {"_started_at", "_submitted_at"} <= set(frame.columns):
        seconds = (frame["_submitted_at"] - frame["_started_at"]).dt.total_seconds().astype(float)
    else:
        seconds = pd.Series(float("nan"), index=frame.index)
    return seconds.where(seconds >= 0)


def speeders(frame: pd.DataFrame, threshold_s: float | None = None, ratio: float = 0.3) -> pd.Series:
    """Completed in under ``threshold_s`` seconds, or under ``ratio`` x the median known duration.

    Responses with unknown duration are never flagged; with no known duration at all nothing is.
    """
    seconds = _durations(frame)
    if threshold_s is None:
        median = seconds.median()
        threshold_s = ratio * median if pd.notna(median) else float("-inf")
    return (seconds < threshold_s).astype(bool).rename("speeder")


def _columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> list[str]:
    columns = list(columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{what}: no such column(s) {', '.join(map(str, missing))}")
    return columns


def straightliners(frame: pd.DataFrame, batteries: Mapping[str, Iterable[str]], min_items: int = 4,
                   min_batteries: int = 2) -> pd.Series:
    """The same answer throughout every battery a respondent answered, over several batteries.

    A battery counts for a respondent when at least ``min_items`` of its items are answered
    (unanswered items are ignored). A respondent is flagged when they answered at least
    ``min_batteries`` such batteries and gave one identical answer within each of them. One
    uniform battery alone is not enough: a resident of a quiet community may honestly say
    "没有" to every problem, or rate every facility "有效".
    """
    counted = np.zeros(len(frame), dtype=int)
    uniform = np.zeros(len(frame), dtype=int)
    for name, items in batteries.items():
        items = _columns(frame, items, f"battery {name!r}")
        if len(items) < min_items:
            continue
        codes = _codes(frame[items])
        answered = (codes >= 0).sum(axis=1) >= min_items
        high = codes.max(axis=1)
        low = np.where(codes >= 0, codes, np.iinfo(codes.dtype).max).min(axis=1)
        counted += answered
        uniform += answered & (low == high)
    flagged = (counted >= min_batteries) & (uniform == counted)
    return pd.Series(flagged, index=frame.index, name="straightliner")


def _codes(answers: pd.DataFrame) -> np.ndarray:
    """The answers as integer codes shared by all columns (-1 = no answer), one hash pass."""
    values = answers.astype(object).to_numpy().ravel()
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    return codes.reshape(answers.shape)


def _answered(column: pd.Series) -> pd.Series:
    """Whether a cell holds an answer: non-missing, and True for select_multiple booleans."""
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.fillna(False).astype(bool)
    return column.notna()


def duplicates(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.Series:
    """The second and later responses with an identical answer set; the earliest submitted is kept.

    ``columns`` defaults to every question column (names not starting with "_"). Rows with no
    answer at all in those columns are never flagged and never count as a first occurrence.
    """
    if columns is None:
        columns = [c for c in frame.columns if not str(c).startswith("_")]
    columns = _columns(frame, columns, "duplicates")
    flagged = pd.Series(False, index=frame.index, name="duplicate")
    if not columns or frame.empty:
        return flagged
    answers = frame[columns]
    empty = ~pd.concat([_answered(answers[c]) for c in columns], axis=1).any(axis=1)
    order = [c for c in ("_submitted_at", "_id") if c in frame.columns]
    positions = pd.RangeIndex(len(frame))
    if order:
        positions = pd.Index(frame[order].reset_index(drop=True).sort_values(order, kind="stable").index)
    keep = positions[~empty.to_numpy()[positions]]
    flagged.iloc[keep[answers.iloc[keep].duplicated(keep="first").to_numpy()]] = True
    return flagged


def flag_quality(frame: pd.DataFrame, batteries: Mapping[str, Iterable[str]] | None = None,
                 threshold_s: float | None = None, ratio: float = 0.3, min_items: int = 4,
                 min_batteries: int = 2) -> pd.DataFrame:
    """Columns speeder, straightliner, duplicate and flagged (any of them), one row per response."""
    flags = pd.concat([speeders(frame, threshold_s, ratio),
                       straightliners(frame, batteries or {}, min_items, min_batteries), duplicates(frame)], axis=1)
    flags["flagged"] = flags[list(FLAGS)].any(axis=1)
    return flags


def quality_summary(flags: pd.DataFrame) -> dict[str, Any]:
    """Counts per flag and n (total), flagged and kept, as plain ints."""
    summary = {"n": len(flags)}
    summary.update({name: int(flags[name].sum()) for name in FLAGS if name in flags})
    summary["flagged"] = int(flags["flagged"].sum())
    summary["kept"] = summary["n"] - summary["flagged"]
    return summary


def exclude_flagged(frame: pd.DataFrame, flags: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """The rows of ``frame`` not flagged (a filter: nothing stored is touched)."""
    mask = flags["flagged"] if isinstance(flags, pd.DataFrame) else flags
    if not frame.index.isin(mask.index).all():
        raise ValueError("flags do not cover every row of the frame")
    return frame[~mask.reindex(frame.index).astype(bool).to_numpy()]


@dataclass(frozen=True)
class Screened:
    """The rows estimates use, the flags of every row, and the counts to report."""

    frame: pd.DataFrame
    flags: pd.DataFrame
    summary: dict[str, Any]


def screen(frame: pd.DataFrame, batteries: Mapping[str, Iterable[str]], rules: QualityRules) -> Screened:
    """Flag every response by the plan's rules; leave flagged ones out when the rules say so.

    The kept frame is re-indexed from 0 so that it lines up with designs built from it.
    """
    flags = flag_quality(frame, batteries, rules.speeder_seconds, rules.speeder_ratio, rules.straightline_min_items)
    kept = exclude_flagged(frame, flags) if rules.exclude_flagged else frame
    summary = {**quality_summary(flags), "excluded": rules.exclude_flagged}
    if not rules.exclude_flagged:
        summary["kept"] = summary["n"]
    return Screened(kept.reset_index(drop=True), flags, summary)
