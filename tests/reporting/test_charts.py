"""Report charts: PNG of the expected size, Chinese without missing glyphs, the glyph guard, same bytes."""

from __future__ import annotations

import io
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
from matplotlib.figure import Figure
from PIL import Image

from surveyapp.reporting import charts

COMMUNITIES = ["丹霞社区", "青松社区", "白云街社区", "滨江花园社区", "新村社区"]
VALUES = [88.2, 76.4, 71.0, 64.3, 52.9]
LIKERT = ["很安全", "比较安全", "一般", "不太安全", "很不安全"]
WIDTH_PX = round(charts.WIDTH_CM / 2.54 * charts.DPI)   # 15 cm at 200 dpi: 1181


def size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.format == "PNG"
        return image.size


def px(cm: float) -> int:
    return int(cm / 2.54 * charts.DPI)


CHARTS = {
    "bar": (lambda: charts.bar_chart(COMMUNITIES, VALUES, low=[v - 4 for v in VALUES], high=[v + 4 for v in VALUES],
                                     reference=70.5, highlight="白云街社区"), 5 * 0.9 + 1.6),
    "bar_plain": (lambda: charts.bar_chart(["满意度得分"], [78.4], unit="分", title="满意度"), 0.9 + 1.0),
    "change": (lambda: charts.grouped_change_chart(["安全感率", "满意率", "见警率"], [92.6, 85.1, 48.0],
                                                   [93.8, 86.0, 52.1]), 3 * 1.2 + 1.4),
    "distribution": (lambda: charts.distribution_chart(LIKERT, [41.2, 38.5, 12.3, 5.6, 2.4]), 1.0 + 1.6),
    "distribution_rows": (lambda: charts.distribution_chart(LIKERT, [[41.2, 38.5, 12.3, 5.6, 2.4], [30, 40, 20, 6, 4]],
                                                            rows=["白天", "夜间"]), 2 * 1.0 + 1.6),
}


@pytest.mark.parametrize("name", CHARTS)
def test_chart_is_png_of_expected_size(name):
    make, height_cm = CHARTS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # no "Glyph … missing from font" for Chinese
        png = make()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert size(png) == (WIDTH_PX, px(height_cm))
    assert b"matplotlib" not in png and b"Software" not in png


@pytest.mark.parametrize("name", CHARTS)
def test_same_data_same_bytes(name):
    make, _ = CHARTS[name]
    assert make() == make()


def test_different_data_different_bytes():
    assert charts.bar_chart(["甲", "乙"], [50.0, 60.0]) != charts.bar_chart(["甲", "乙"], [50.0, 61.0])


def test_same_bytes_from_several_threads():
    make, _ = CHARTS["bar"]
    expected = make()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: make(), range(8)))
    assert all(result == expected for result in results)


def test_character_without_glyph_is_refused():
    with pytest.raises(charts.MissingGlyphError, match="U\\+E000"):
        charts.bar_chart(["社区\ue000"], [50.0])


def test_glyph_warning_is_an_error_even_past_the_check(monkeypatch):
    monkeypatch.setattr(charts, "check_glyphs", lambda figure: None)
    with pytest.raises(charts.MissingGlyphError, match="missing from font"):
        charts.distribution_chart(["很安全\ue000", "不安全"], [60.0, 40.0])


def test_guard_with_no_cjk_font():
    figure = Figure()
    figure.text(0.5, 0.5, "安全感率 93.8%")
    charts.check_glyphs(figure)                                      # the installed fonts have it
    with pytest.raises(charts.MissingGlyphError, match="U\\+5B89"):
        charts.check_glyphs(figure, coverage=frozenset(range(128)))  # as if only an ASCII font


def test_dollar_signs_are_text_not_mathtext():
    size(charts.bar_chart(["人均$5", "$x$"], [1.0, 2.0], unit=""))
