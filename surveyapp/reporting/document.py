"""The report as a format-neutral document: what every renderer (HTML, PDF, Word, Markdown) draws.

A ``Report`` is a tree of ``Section``s holding blocks: ``Paragraph``s, ``Table``s,
``Figure``s and ``ItemList``s. Everything is already worded and formatted (numbers
as display text, full-width punctuation): renderers only lay it out. Heading
labels follow GB/T 9704: 一、 / （一） / 1. / （1）, given by ``heading_label``;
tables (表1…) and figures (图1…) are numbered in document order when built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

CHINESE_NUMERALS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十 (enough for section counts)."""
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (CHINESE_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")


def heading_label(depth: int, index: int) -> str:
    """The numbering of the ``index``-th (1-based) heading at ``depth`` (1 = top level)."""
    if depth == 1:
        return f"{chinese_number(index)}、"
    if depth == 2:
        return f"（{chinese_number(index)}）"
    if depth == 3:
        return f"{index}."
    return f"（{index}）"


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of body text. ``sources`` names the tables its numbers come from (表3…)."""

    text: str
    sources: tuple[str, ...] = ()
    kind: str = "body"   # body | note | lead


@dataclass(frozen=True)
class ItemList:
    """Enumerated points written inline as 一是……；二是…… or as a list."""

    items: tuple[str, ...]
    ordered: bool = True


@dataclass(frozen=True)
class Table:
    """A three-line table (三线表) with its caption above and notes below.

    Cells are display strings; ``numeric`` marks the columns to align right. ``key``
    identifies the table for cross-references and tests.
    """

    key: str
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()
    numeric: tuple[bool, ...] = ()
    number: int = 0

    @property
    def label(self) -> str:
        return f"表{self.number}"


@dataclass(frozen=True)
class Figure:
    """A chart as PNG bytes with its caption below (图1…) and a text alternative."""

    key: str
    caption: str
    png: bytes
    alt: str
    width_cm: float = 15.0
    number: int = 0

    @property
    def label(self) -> str:
        return f"图{self.number}"


Block = Union[Paragraph, ItemList, Table, Figure]


@dataclass(frozen=True)
class Section:
    """A titled section; its heading label depends on its depth and position."""

    key: str
    title: str
    blocks: tuple[Block, ...] = ()
    children: tuple[Section, ...] = ()
    label: str = ""

    def walk(self):
        """Yield this section and every section below it, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Report:
    """A whole 调研报告: title, preface, numbered sections, appendices and provenance."""

    title: str
    subtitle: str
    preface: tuple[Block, ...]
    sections: tuple[Section, ...]
    appendices: tuple[Section, ...] = ()
    organisation: str = ""
    date: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def all_sections(self):
        """Every section, appendices included, in document order."""
        for section in self.sections + self.appendices:
            yield from section.walk()

    def blocks(self):
        """Every block in document order (preface first)."""
        yield from self.preface
        for section in self.all_sections():
            yield from section.blocks

    def tables(self) -> list[Table]:
        return [b for b in self.blocks() if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for b in self.blocks() if isinstance(b, Figure)]


# The provenance shown at the end of a report: these keys of Report.meta, in this order.
PROVENANCE_LABELS = {"questionnaire": "问卷", "versions": "问卷版本", "wave": "调查期次", "compare_with": "对比期次",
                     "channels": "渠道", "data_cutoff": "数据截止时间", "n_received": "回收问卷（份）",
                     "n_valid": "有效问卷（份）", "n": "有效样本量", "data_checksum": "数据校验值（SHA-256）",
                     "layout": "报告模板", "software": "生成软件", "fonts": "字体"}


def _display(value: Any) -> str:
    if isinstance(value, dict):
        return "；".join(f"{key} {_display(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(_display(item) for item in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def provenance_rows(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs of what the report was built from, for the keys that have a value."""
    return [(label, _display(meta[key])) for key, label in PROVENANCE_LABELS.items()
            if meta.get(key) not in (None, "", [])]
