"""The charts of a 调研报告 as PNG bytes, for Figure blocks.

matplotlib's object API only (``matplotlib.figure.Figure`` on the Agg canvas, no pyplot state),
so charts can be drawn from web requests. The CJK fonts are registered from their files (a
stale font cache then cannot turn Chinese into boxes) and set on every text of a chart, not in
the global rcParams. A chart holding a character that none of the fonts has raises
``MissingGlyphError`` instead of printing a box. Greys only: offices print in black and white.
Same data, same bytes: fixed size and dpi, and no software name or date in the PNG.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

from surveyapp.reporting.fonts import MissingGlyphError

FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
              "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FAMILIES = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "DejaVu Sans"]
WIDTH_CM, DPI, FONT_SIZE = 15.0, 200, 9
INK, DARK, MID, LIGHT = "#1a1a1a", "#4d4d4d", "#7a7a7a", "#c8c8c8"
LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "pad": 0.5}   # value labels sit over the reference line

for _path in FONT_FILES:
    if Path(_path).exists():
        font_manager.fontManager.addfont(_path)


@lru_cache(maxsize=1)
def _coverage() -> frozenset[int]:
    """The code points the chart fonts can draw, together."""
    codes: set[int] = set()
    for family in FAMILIES:
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=[family]), fallback_to_default=False)
        except ValueError:
            continue
        codes.update(font_manager.get_font(path).get_charmap())
    return frozenset(codes)


def check_glyphs(figure: Figure, coverage: frozenset[int] | None = None) -> None:
    """Raise MissingGlyphError when a text of ``figure`` has a character no chart font has."""
    coverage = _coverage() if coverage is None else coverage
    for text in figure.findobj(Text):
        missing = sorted({c for c in text.get_text() if not c.isspace() and ord(c) not in coverage})
        if missing:
            names = "、".join(f"U+{ord(c):04X}" for c in missing)
            raise MissingGlyphError(f"chart text {text.get_text()!r}: no font has {names} ({', '.join(FAMILIES)})",
                                    "".join(missing))


def _png(figure: Figure) -> bytes:
    """The figure as PNG bytes, after the glyph check; a glyph warning is an error too."""
    for text in figure.findobj(Text):
        text.set_fontfamily(FAMILIES)
    check_glyphs(figure)
    buffer = io.BytesIO()
    with warnings.catch_warnings():   # process-wide in Python 3.11; check_glyphs is the thread-safe guard
        warnings.filterwarnings("error", message=r"Glyph .* missing from font", category=UserWarning)
        try:
            figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        except UserWarning as warning:
            raise MissingGlyphError(str(warning)) from warning
    return buffer.getvalue()


def _plain(text: str) -> str:
    """Labels are text, not mathtext: a $ stays a dollar sign."""
    return str(text).replace("$", r"\$")


def _axes(rows: int, *, per_row_cm: float = 0.9, extra_cm: float = 1.2, title: str | None = None):
    figure = Figure(figsize=(WIDTH_CM / 2.54, (rows * per_row_cm + extra_cm) / 2.54), dpi=DPI, layout="constrained")
    axes = figure.subplots()
    axes.tick_params(labelsize=FONT_SIZE, length=0)
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.spines["left"].set_color(INK)
    axes.xaxis.set_visible(False)
    if title:
        axes.set_title(_plain(title), fontsize=FONT_SIZE + 1, color=INK, loc="left")
    return figure, axes


def _value(value: float, unit: str, decimals: int) -> str:
    return f"{value:.{decimals}f}{unit}"


def bar_chart(labels: Sequence[str], values: Sequence[float], *, low: Sequence[float] | None = None,
              high: Sequence[float] | None = None, unit: str = "%", reference: float | None = None,
              reference_label: str = "全区平均", highlight: str | Sequence[str] | None = None,
              title: str | None = None, decimals: int = 1) -> bytes:
    """Horizontal bars in the order given (first on top), with 95% interval whiskers when
    ``low``/``high`` are given, a dashed reference line (e.g. 全区平均) and value labels.
    ``highlight`` (a label or labels) draws those bars dark and the others light grey."""
    marked = {highlight} if isinstance(highlight, str) else set(highlight or ())
    figure, axes = _axes(len(labels), extra_cm=1.6 if reference is not None else 1.0, title=title)
    rows = range(len(labels))
    colours = [DARK if label in marked else LIGHT for label in labels] if marked else MID
    axes.barh(rows, values, height=0.6, color=colours)
    ends = list(values)
    if low is not None and high is not None:
        whiskers = [[v - lo for v, lo in zip(values, low)], [hi - v for v, hi in zip(values, high)]]
        axes.errorbar(values, rows, xerr=whiskers, fmt="none", ecolor=INK, elinewidth=0.8, capsize=3)
        ends = list(high)
    right = max(ends + ([reference] if reference is not None else [])) * 1.15
    for row, end, value in zip(rows, ends, values):
        axes.text(end + right * 0.01, row, _value(value, unit, decimals), va="center", fontsize=FONT_SIZE, color=INK,
                  bbox=LABEL_BOX)
    if reference is not None:
        axes.axvline(reference, color=INK, linestyle=(0, (4, 3)), linewidth=0.8)
        axes.text(reference + right * 0.01, -0.85, _plain(f"{reference_label} {_value(reference, unit, decimals)}"),
                  va="center", fontsize=FONT_SIZE, color=INK)
    axes.set_yticks(rows, [_plain(label) for label in labels])
    axes.set_xlim(min(0, *values), right)
    axes.set_ylim(len(labels) - 0.5, -0.6 if reference is None else -1.2)
    return _png(figure)


def grouped_change_chart(labels: Sequence[str], before: Sequence[float], after: Sequence[float], *,
                         names: tuple[str, str] = ("上期", "本期"), unit: str = "%", decimals: int = 1) -> bytes:
    """Two bars per indicator, the earlier wave (light) above the current one (dark)."""
    figure, axes = _axes(len(labels), per_row_cm=1.2, extra_cm=1.4)
    rows = range(len(labels))
    right = max([*before, *after]) * 1.15
    for offset, series, colour, name in ((-0.19, before, LIGHT, names[0]), (0.19, after, DARK, names[1])):
        positions = [row + offset for row in rows]
        axes.barh(positions, series, height=0.36, color=colour, label=_plain(name))
        for position, value in zip(positions, series):
            axes.text(value + right * 0.01, position, _value(value, unit, decimals), va="center",
                      fontsize=FONT_SIZE, color=INK)
    axes.set_yticks(rows, [_plain(label) for label in labels])
    axes.set_xlim(min(0, *before, *after), right)
    axes.set_ylim(len(labels) - 0.5, -0.5)
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=2, frameon=False, fontsize=FONT_SIZE)
    return _png(figure)


def distribution_chart(labels: Sequence[str], shares: Sequence[float] | Sequence[Sequence[float]], *,
                       rows: Sequence[str] | None = None, unit: str = "%", decimals: int = 1) -> bytes:
    """100% stacked bars of a rated item's answers (很安全 … 很不安全), darkest first.

    ``shares`` is one distribution (percentages in the order of ``labels``), or one per entry of
    ``rows`` (e.g. per community). Segments under 6% are left unlabelled."""
    table = [list(shares)] if rows is None else [list(row) for row in shares]
    figure, axes = _axes(len(table), per_row_cm=1.0, extra_cm=1.6)
    greys = [0.15 + 0.7 * i / max(len(labels) - 1, 1) for i in range(len(labels))]
    for row, values in enumerate(table):
        left = 0.0
        for label, value, grey in zip(labels, values, greys):
            axes.barh(row, value, left=left, height=0.6, color=str(round(grey, 3)), edgecolor="white", linewidth=0.8,
                      label=_plain(label) if row == 0 else None)
            if value >= 6:
                axes.text(left + value / 2, row, _value(value, unit, decimals), ha="center", va="center",
                          fontsize=FONT_SIZE - 1, color="white" if grey < 0.5 else INK)
            left += value
    axes.set_yticks(range(len(table)), [_plain(row) for row in rows] if rows is not None else [""] * len(table))
    axes.set_xlim(0, max(sum(values) for values in table))
    axes.set_ylim(len(table) - 0.5, -0.5)
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=min(len(labels), 5), frameon=False,
                fontsize=FONT_SIZE, handlelength=1.2, columnspacing=1.2)
    if rows is None:
        axes.spines["left"].set_visible(False)
    return _png(figure)
