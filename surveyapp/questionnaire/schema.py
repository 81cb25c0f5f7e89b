"""The questionnaire model: immutable dataclasses shared by both file syntaxes.

A ``Questionnaire`` is what a YAML file or an XLSForm workbook becomes after
loading. ``to_definition`` turns it into plain JSON (what the database stores and
what the checksum is taken of); ``from_definition`` reads it back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from typing import Any, Union

Text = dict[str, str]
"""A translatable text: {language code: text}."""

SAMPLING_TYPES = ("simple_random", "systematic", "stratified", "cluster", "multistage", "quota", "convenience")
PROBABILITY_SAMPLING = frozenset(SAMPLING_TYPES[:5])


@dataclass(frozen=True)
class Choice:
    """One option of a choice list: the stored code and its label."""

    value: str
    label: Text
    exclusive: bool = False
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Question:
    """One row of the survey: a question, a note or a calculation."""

    name: str
    type: str
    label: Text = field(default_factory=dict)
    hint: Text = field(default_factory=dict)
    list_name: str | None = None
    or_other: bool = False
    required: str | None = None
    required_message: Text = field(default_factory=dict)
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Text = field(default_factory=dict)
    choice_filter: str | None = None
    calculation: str | None = None
    default: str | None = None
    appearance: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    """Type parameters, such as a range's ``start``, ``end`` and ``step``."""
    location: str = field(default="", compare=False)


@dataclass(frozen=True)
class Group:
    """A begin/end group; a ``table-list`` group is a Likert matrix."""

    name: str
    label: Text = field(default_factory=dict)
    relevant: str | None = None
    appearance: str | None = None
    children: tuple[Item, ...] = ()
    location: str = field(default="", compare=False)

    @property
    def is_matrix(self) -> bool:
        """Whether the group shows as a matrix of rows sharing one scale."""
        return (self.appearance or "").strip() == "table-list"


@dataclass(frozen=True)
class Repeat:
    """A repeat group (roster, e.g. 家庭成员): its questions are answered once per entry.

    The answer is a list of entries, each a mapping of the repeat's own question names.
    ``count`` (XLSForm ``repeat_count``) is an expression fixing how many entries there are;
    without it the respondent adds and removes entries.
    """

    name: str
    label: Text = field(default_factory=dict)
    relevant: str | None = None
    count: str | None = None
    appearance: str | None = None
    children: tuple[Item, ...] = ()
    location: str = field(default="", compare=False)

    type = "repeat"

    def questions(self) -> list[Question]:
        """The questions of one entry, in document order."""
        return [q for q, _ in walk(self.children)]


Item = Union[Question, Group, Repeat]


@dataclass(frozen=True)
class Channel:
    """A distribution channel, such as one community or 警务区."""

    code: str
    label: Text


@dataclass(frozen=True)
class Study:
    """Study metadata that later feeds the report's method section."""

    organisation: str = ""
    purpose: str = ""
    population: str = ""
    period: str = ""
    sampling: str = "convenience"
    contact: str = ""
    frame_size: str = ""
    """Units in the sampling frame (invited, all eligible): the report gives AAPOR RR1 against it."""


@dataclass(frozen=True)
class Questionnaire:
    """A whole questionnaire version, as loaded from a file."""

    form_id: str
    title: Text
    default_language: str
    languages: tuple[str, ...]
    items: tuple[Item, ...]
    choices: dict[str, tuple[Choice, ...]]
    study: Study = field(default_factory=Study)
    channels: tuple[Channel, ...] = ()
    version: str = ""
    allow_multiple: bool = False

    def questions(self) -> list[Question]:
        """Every question answered once per response, in document order (groups flattened,
        repeats left out: see ``repeats``)."""
        return [q for q, _ in walk(self.items)]

    def question(self, name: str) -> Question | None:
        """The question called ``name``, if any (a repeat's questions included)."""
        return next((q for q, _ in walk_all(self.items) if q.name == name), None)

    def repeats(self) -> list[Repeat]:
        """Every repeat group (roster), in document order."""
        return list(repeats(self.items))


def walk(items: tuple[Item, ...], parents: tuple[Group, ...] = ()):
    """Yield (question, enclosing groups outermost first) in document order, not entering repeats."""
    for item in items:
        if isinstance(item, Group):
            yield from walk(item.children, parents + (item,))
        elif isinstance(item, Question):
            yield item, parents


def walk_all(items: tuple[Item, ...], parents: tuple[Group | Repeat, ...] = ()):
    """Yield (question, enclosing groups and repeats) for every question, repeats' included."""
    for item in items:
        if isinstance(item, (Group, Repeat)):
            yield from walk_all(item.children, parents + (item,))
        else:
            yield item, parents


def groups(items: tuple[Item, ...]):
    """Yield every group outside repeats, outer groups before the groups they hold."""
    for item in items:
        if isinstance(item, Group):
            yield item
            yield from groups(item.children)


def repeats(items: tuple[Item, ...]):
    """Yield every repeat group, in document order."""
    for item in items:
        if isinstance(item, Repeat):
            yield item
        elif isinstance(item, Group):
            yield from repeats(item.children)


# --- JSON form -------------------------------------------------------------

def _compact(obj: Any) -> dict[str, Any]:
    """Dataclass fields as a dict, leaving out empty values and source locations."""
    out = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.name == "location" or value in (None, "", {}, (), False):
            continue
        out[f.name] = value
    return out


def _item_to_json(item: Item) -> dict[str, Any]:
    data = _compact(item)
    if isinstance(item, (Group, Repeat)):
        data["type"] = "group" if isinstance(item, Group) else "repeat"
        data["children"] = [_item_to_json(child) for child in item.children]
    return data


def to_definition(q: Questionnaire) -> dict[str, Any]:
    """The questionnaire as plain JSON-able data (source locations dropped)."""
    data = _compact(q)
    data["items"] = [_item_to_json(item) for item in q.items]
    data["choices"] = {name: [_compact(c) for c in cs] for name, cs in sorted(q.choices.items())}
    data["study"] = _compact(q.study)
    data["channels"] = [_compact(c) for c in q.channels]
    data["languages"] = list(q.languages)
    return data


def _item_from_json(data: dict[str, Any]) -> Item:
    if data.get("type") in ("group", "repeat"):
        kids = tuple(_item_from_json(child) for child in data.get("children", ()))
        rest = {k: v for k, v in data.items() if k not in ("type", "children")}
        return (Group if data["type"] == "group" else Repeat)(children=kids, **rest)
    return Question(**data)


def from_definition(data: dict[str, Any]) -> Questionnaire:
    """Rebuild a questionnaire from ``to_definition`` output."""
    rest = {k: v for k, v in data.items() if k not in ("items", "choices", "study", "channels", "languages")}
    return Questionnaire(
        items=tuple(_item_from_json(item) for item in data["items"]),
        choices={name: tuple(Choice(**c) for c in cs) for name, cs in data["choices"].items()},
        study=Study(**data.get("study", {})),
        channels=tuple(Channel(**c) for c in data.get("channels", ())),
        languages=tuple(data.get("languages", ())),
        **rest,
    )


def checksum(definition: dict[str, Any]) -> str:
    """A content checksum of a definition: equal content, equal checksum."""
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
