"""What the report needs from the machine's fonts, and what to say when a font is missing.

Kept apart from ``charts`` so that the service layer can name the error without loading
matplotlib.
"""

from __future__ import annotations

import unicodedata

FONT_PACKAGE = "fonts-noto-cjk"
"""The Debian package that gives charts, Word and PDF their Chinese (see docs/reports.md)."""


class MissingGlyphError(ValueError):
    """A chart text holds characters that none of the chart fonts can draw."""

    def __init__(self, detail: str, missing: str = ""):
        super().__init__(detail)
        self.missing = missing


def explain(error: MissingGlyphError) -> str:
    """One sentence for the user: which package to install, or which character cannot be drawn."""
    if not error.missing or any(unicodedata.east_asian_width(c) in ("W", "F") for c in error.missing):
        return (f"缺少中文字体，无法绘制报告图表：请安装 {FONT_PACKAGE}（Debian/Ubuntu：apt-get install {FONT_PACKAGE}）"
                f"后重新生成 (no CJK font: install the {FONT_PACKAGE} package and build again)")
    shown = "、".join(f"“{c}”(U+{ord(c):04X})" for c in error.missing[:5])
    return (f"报告图表中的字符{shown}没有可用的字体，请修改问卷中含有该字符的文字或安装相应字体 "
            f"(no font can draw {shown}: change that text or install a font for it)")
