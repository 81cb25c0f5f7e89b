"""How numbers and findings are written in a 调研报告: one place for every phrasing rule.

Percentages to one decimal ("93.8%"), changes in 个百分点, bases with a thousands
separator ("1,882份"), full-width brackets and punctuation in running text, and
significance-aware wording: a change that is not significant is never called a
rise or a fall.
"""

from __future__ import annotations

import math

from surveyapp.analysis.compare import Difference
from surveyapp.analysis.results import Estimate

DASH = "—"
"""Shown for a value that is suppressed or cannot be estimated."""


def count(n: int | float) -> str:
    """1882 -> "1,882"."""
    return f"{int(n):,}"


def pct(value: float | None, digits: int = 1) -> str:
    """0.9383 -> "93.8%" (a proportion shown as a percentage)."""
    if value is None or not math.isfinite(value):
        return DASH
    return f"{value * 100:.{digits}f}%"


def points(value: float | None, digits: int = 1) -> str:
    """78.43 -> "78.4分"."""
    if value is None or not math.isfinite(value):
        return DASH
    return f"{value:.{digits}f}分"


def value(estimate: Estimate, percent: bool) -> str:
    """An estimate as a rate or as points."""
    return pct(estimate.estimate) if percent else points(estimate.estimate)


def interval(estimate: Estimate, percent: bool) -> str:
    """"92.7%～94.8%" or "77.6～79.2分"."""
    if not (math.isfinite(estimate.ci_low) and math.isfinite(estimate.ci_high)):
        return DASH
    if percent:
        return f"{pct(estimate.ci_low)}～{pct(estimate.ci_high)}"
    return f"{estimate.ci_low:.1f}～{estimate.ci_high:.1f}分"


def p_value(p: float) -> str:
    """"p＝0.021", "p＜0.001"."""
    if not math.isfinite(p):
        return "p＝—"
    return "p＜0.001" if p < 0.001 else f"p＝{p:.3f}"


def change_amount(difference: Difference, percent: bool) -> str:
    """The size of a change without its sign: "1.2个百分点" or "1.2分"."""
    size = abs(difference.estimate) * (100 if percent else 1)
    return f"{size:.1f}个百分点" if percent else f"{size:.1f}分"


def signed_change(difference: Difference, percent: bool) -> str:
    """"+1.2个百分点" / "−0.8分" for tables."""
    size = round(difference.estimate * (100 if percent else 1), 1)
    sign = "+" if size > 0 else "−" if size < 0 else "±"
    return f"{sign}{abs(size):.1f}{'个百分点' if percent else '分'}"


def change_phrase(difference: Difference, percent: bool, previous: str = "上期") -> str:
    """Significance-aware wording of a change between two waves.

    Significant: "较上期提高1.2个百分点（p＝0.003）". Not significant: "与上期相比变化不显著
    （+1.2个百分点，p＝0.210）" — never "提高"/"下降".
    """
    if difference.significant and difference.estimate != 0:
        verb = "提高" if difference.estimate > 0 else "下降"
        return f"较{previous}{verb}{change_amount(difference, percent)}（{p_value(difference.p_value)}）"
    return f"与{previous}相比变化不显著（{signed_change(difference, percent)}，{p_value(difference.p_value)}）"


def enumerate_points(items: list[str]) -> list[str]:
    """Prefix items with 一是、二是… and end each with ；(the last with 。)."""
    numerals = "一二三四五六七八九十"
    out = []
    for index, item in enumerate(items):
        text = item.rstrip("。；;，,")
        end = "。" if index == len(items) - 1 else "；"
        out.append(f"{numerals[index] if index < 10 else index + 1}是{text}{end}")
    return out


def per(value: float, unit: float) -> str:
    """An administrative rate: "每万人15.0"."""
    names = {10000: "每万人", 1000: "每千人", 100000: "每十万人", 100: "每百人"}
    prefix = names.get(int(unit), f"每{unit:,.0f}人")
    return f"{prefix}{value:.1f}" if math.isfinite(value) else DASH


def rate_change_phrase(difference: float, p: float, significant: bool, unit: float, previous: str = "上期") -> str:
    """Significance-aware wording of a change in an administrative rate."""
    size = f"{abs(difference):.1f}"
    if significant and difference != 0:
        return f"较{previous}{'上升' if difference > 0 else '下降'}{size}（{p_value(p)}）"
    sign = "+" if difference > 0 else "−" if difference < 0 else "±"
    return f"与{previous}相比变化不显著（{sign}{size}，{p_value(p)}）"
