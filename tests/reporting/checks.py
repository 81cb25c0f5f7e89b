"""Checks shared by the report tests."""

from __future__ import annotations

import re

from surveyapp.reporting.document import Paragraph


def paragraphs(report) -> list[str]:
    """The text of every paragraph of a report, in order."""
    return [b.text for b in report.blocks() if isinstance(b, Paragraph)]


def assert_wording_follows_significance(text: str) -> None:
    """Every 提高/下降 has p < 0.05 and every 变化不显著 has p ≥ 0.05."""
    for match in re.finditer(r"(提高|下降)[\d.]+(个百分点|分)（p([＝＜])([\d.]+)）", text):
        assert match[3] == "＜" or float(match[4]) < 0.05, match[0]
    for match in re.finditer(r"变化不显著（[+−±][\d.]+(个百分点|分)，p＝([\d.]+)）", text):
        assert float(match[2]) >= 0.05, match[0]
