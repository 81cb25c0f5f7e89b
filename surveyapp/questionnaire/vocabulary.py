"""XLSForm's vocabulary as pyxform defines it: question types, their aliases, and names.

Nothing here keeps its own copy of pyxform's tables: the type aliases (``select one from X``,
``int``, ``dateTime``, ``phone number`` …) come from ``pyxform.aliases`` and
``pyxform.question_type_dictionary``, the group/repeat/select grammar from pyxform's own
regular expressions, and names from its XML-name pattern. A type is read into a ``TypeSpec``:
one of our types, a metadata field, or a feature this platform refuses (named for the message).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pyxform import aliases, constants
from pyxform.parsing.expression import ncname_regex
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.xls2json import RE_BEGIN_CONTROL, RE_END_CONTROL, RE_OSM, RE_SELECT

NAME = re.compile(ncname_regex)
"""A question, group or repeat name: an XML name without a namespace prefix (letters, digits, _ - .)."""

# pyxform's canonical entries, and what each is here.
_CANONICAL = {
    "text": "text", "integer": "integer", "decimal": "decimal", "date": "date", "time": "time",
    "dateTime": "datetime", "note": "note", "calculate": "calculate", "acknowledge": "acknowledge",
    "trigger": "acknowledge", "range": "range", "rank": "rank",
    "select one": "select_one", "select all that apply": "select_multiple",
}
# Metadata that says when the response was made: kept, filled from the response's own timing.
TIMING_META = ("start", "end", "today")
# Metadata about the device or the person: accepted and never collected.
PRIVATE_META = ("deviceid", "simserial", "subscriberid", "phonenumber", "username", "email", "audit",
                "start-geopoint")
# Types that need something this platform does not do (media, location, external data).
_FEATURES = {"photo": "image", "audio": "audio", "video": "video", "file": "file", "barcode": "barcode",
             "geopoint": "geopoint", "geotrace": "geotrace", "geoshape": "geoshape", "osm": "osm",
             "background-audio": "background-audio", "background-geopoint": "geopoint",
             "xml-external": "xml-external", "csv-external": "csv-external",
             "select one external": "select_one_external", "include": "include"}
_SELECT_KINDS = {constants.SELECT_ONE: "select_one", constants.SELECT_ALL_THAT_APPLY: "select_multiple",
                 constants.RANK: "rank", constants.SELECT_ONE_EXTERNAL: "select_one_external"}
_CONTROL_KINDS = {constants.GROUP: "group", constants.REPEAT: "repeat", constants.LOOP: "loop"}


@dataclass(frozen=True)
class TypeSpec:
    """What a type cell means.

    ``kind`` is one of our question types, ``begin_group``/``end_group``,
    ``begin_repeat``/``end_repeat``, ``begin_loop``/``end_loop``, ``meta`` (then ``meta``
    names the field) or ``refused`` (then ``feature`` names what is not supported).
    ``constraint`` is the rule pyxform's type carries (``phone number``: digits only).
    """

    kind: str
    list_name: str | None = None
    or_other: bool = False
    feature: str | None = None
    meta: str | None = None
    constraint: str | None = None


def _plain(entry: dict) -> str:
    """A type dictionary entry without the rule and hint some aliases add, for comparison."""
    bind = {k: v for k, v in entry.get("bind", {}).items() if k != "constraint"}
    return json.dumps({**{k: v for k, v in entry.items() if k not in ("hint", "bind")}, "bind": bind},
                      sort_keys=True)


@lru_cache(maxsize=1)
def _plain_types() -> dict[str, TypeSpec]:
    """Every plain (non-select, non-control) type pyxform knows, read into a TypeSpec."""
    canonical = {_plain(QUESTION_TYPE_DICT[name]): kind for name, kind in _CANONICAL.items()}
    out: dict[str, TypeSpec] = {}
    for name, entry in QUESTION_TYPE_DICT.items():
        preload = entry.get("bind", {}).get("jr:preloadParams")
        if name in _FEATURES:
            out[name] = TypeSpec("refused", feature=_FEATURES[name])
        elif name == "hidden":
            out[name] = TypeSpec("hidden")
        elif preload or name in PRIVATE_META:
            out[name] = TypeSpec("meta", meta=(preload or name).removeprefix("uri:"))
        elif _plain(entry) in canonical:
            constraint = entry.get("bind", {}).get("constraint")
            out[name] = TypeSpec(canonical[_plain(entry)], constraint=constraint)
        else:
            out[name] = TypeSpec("refused", feature=_feature(name, entry))
    return out


def _feature(name: str, entry: dict) -> str:
    """The feature an unsupported type needs: its media type (image, audio …) or its value type."""
    media = entry.get("control", {}).get("mediatype", "").split("/")[0]
    kind = entry.get("bind", {}).get("type", "")
    return {"image": "image", "audio": "audio", "video": "video", "application": "file"}.get(
        media, kind if kind in ("geopoint", "geoshape", "geotrace", "barcode") else name)


def parse_type(text: Any) -> TypeSpec | None:
    """Read a type cell the way pyxform does; None when pyxform would not know it either."""
    value = " ".join(str(text or "").split())
    spec = _parse(value)
    if spec is None and value != value.lower():
        # "Select_One YN", "Begin Group": the words in any case, the list name as written.
        spec = _parse(value.lower())
        if spec is not None and spec.list_name:
            original = next(w for w in value.split() if w.lower() == spec.list_name)
            spec = TypeSpec(**{**spec.__dict__, "list_name": original})
    return spec


def _parse(value: str) -> TypeSpec | None:
    begin = RE_BEGIN_CONTROL.search(value)
    if begin:
        kind = _CONTROL_KINDS[aliases.control[begin.group("type")]]
        return TypeSpec(f"begin_{kind}", list_name=begin.group("list_name"))
    end = RE_END_CONTROL.search(value)
    if end:
        return TypeSpec(f"end_{_CONTROL_KINDS[aliases.control[end.group('type')]]}")
    select = RE_SELECT.search(value)
    if select and select.group("list_name") in ("or_other", "or"):  # "select_one or_other": no list
        return _select(select.group("select_command"), None, True)
    if select:
        return _select(select.group("select_command"), select.group("list_name"),
                       bool(select.group("specify_other")))
    if value in aliases.select:  # "select_one" with no list: the builder says the list is missing
        return _select(value, None, False)
    words = value.split()
    if len(words) > 1 and words[0] in aliases.select and words[1] in ("or_other", "or other"):
        return _select(words[0], None, True)
    if RE_OSM.search(value):
        return TypeSpec("refused", feature="osm")
    if words and words[0] == "include":
        return TypeSpec("refused", feature="include")
    return _plain_types().get(aliases._type_alias_map.get(value, value))


def _select(command: str, list_name: str | None, or_other: bool) -> TypeSpec:
    if command in aliases.select_from_file:
        kind = _SELECT_KINDS[aliases.select_from_file[command]]
        return TypeSpec("refused", feature=f"{kind}_from_file")
    kind = _SELECT_KINDS[aliases.select[command]]
    if kind == "select_one_external":
        return TypeSpec("refused", feature=kind)
    return TypeSpec(kind, list_name=list_name, or_other=or_other)


def settings_type(text: Any) -> str | None:
    """A setting written as a survey row (``form_title`` in the type column): its settings column."""
    return aliases.settings_header.get(str(text or "").strip())
