"""Build and validate a ``Questionnaire`` from a ``RawForm``.

Every problem is collected with its file, location and question, and the
file is rejected once with all of them (``QuestionnaireError``). Things worth
knowing that are not problems (metadata that is never collected, settings that
only matter to ODK) are collected as notices and returned beside the questionnaire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pyxform.errors import PyXFormError
from pyxform.parsing.parameters import parse as parse_parameters

from surveyapp.questionnaire import types
from surveyapp.questionnaire.errors import Problem, QuestionnaireError
from surveyapp.questionnaire.form_checks import WholeChecks, row_order
from surveyapp.questionnaire.loops import expand_loops
from surveyapp.questionnaire.messages import FEATURES
from surveyapp.questionnaire.raw import RawForm, Row, language_code
from surveyapp.questionnaire.schema import (
    SAMPLING_TYPES, Channel, Choice, Group, Item, Question, Questionnaire, Repeat, Study, Text,
)
from surveyapp.questionnaire.vocabulary import NAME, PRIVATE_META, TIMING_META, TypeSpec, parse_type, settings_type

FORM_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
TRUE_WORDS = {"yes", "true", "true()", "1"}
FALSE_WORDS = {"no", "false", "false()", "0"}
OTHER_LABEL = {"zh": "其他", "en": "Other"}
SPECIFY_LABEL = {"zh": "请注明", "en": "Please specify"}


def is_flag(value: Any) -> bool:
    """Whether a cell holds a yes/no value."""
    return isinstance(value, bool) or str(value).strip().lower() in TRUE_WORDS | FALSE_WORDS


def flag(value: Any) -> bool:
    """A yes/no cell as a bool (empty is no)."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in TRUE_WORDS


@dataclass(frozen=True)
class Built:
    """A valid questionnaire and the notices its file gave."""

    questionnaire: Questionnaire
    notices: list[Problem] = field(default_factory=list)


def build(raw: RawForm) -> Questionnaire:
    """Validate ``raw`` and build the questionnaire; raises QuestionnaireError."""
    return _Builder(raw).build().questionnaire


def build_checked(raw: RawForm) -> Built:
    """Like ``build``, with the notices (never-collected metadata, ignored columns …)."""
    return _Builder(raw).build()


class _Builder(WholeChecks):
    """One pass over a RawForm, collecting problems as it goes."""

    def __init__(self, raw: RawForm):
        self.raw = raw
        self.problems: list[Problem] = list(raw.problems)
        self.notices: list[Problem] = []
        self.private: list[tuple[str, str]] = []
        self.media_noted = False
        self.settings = dict(raw.settings.cells)
        # XLSForm writes the default language like its columns, "中文 (zh)".
        self.language = language_code(raw.settings.get("default_language", "zh"))
        self.languages: set[str] = {self.language}

    def problem(self, location: str, code: str, question: str | None = None, /, **params: Any) -> None:
        # Positional-only, so that a message parameter may be called ``code``.
        self.problems.append(Problem(self.raw.source, location, code, params, question))

    def notice(self, location: str, code: str, question: str | None = None, /, **params: Any) -> None:
        self.notices.append(Problem(self.raw.source, location, code, params, question))

    def flag(self, row: Row, column: str) -> bool:
        """A yes/no cell; anything else is reported rather than read as "no"."""
        value = row.get(column)
        if value is not None and not is_flag(value):
            self.problem(row.location, "bad_boolean", None, column=column, value=value)
        return flag(value)

    def text(self, row: Row, column: str) -> Text:
        """A translatable cell with the unnamed language mapped to the default one."""
        texts = dict(row.get(column, {}))
        if "default" in texts:
            texts.setdefault(self.language, texts.pop("default"))
            texts.pop("default", None)
        self.languages.update(texts)
        return {k: v for k, v in texts.items() if v}

    def build(self) -> Built:
        choices = self.choices()
        survey = self.survey_settings(self.raw.survey)
        items = self.items(expand_loops(survey, choices, self.problem), choices)
        settings = Row(self.raw.settings.location, self.settings)
        q = Questionnaire(
            form_id=self.form_id(), title=self.text(settings, "title"),
            default_language=self.language, languages=(), items=items, choices=choices,
            study=self.study(), channels=self.channels(), version=str(settings.get("version", "")),
            allow_multiple=self.flag(settings, "allow_multiple"),
        )
        self.check_questions(q)
        if self.private:
            fields = "、".join(dict.fromkeys(kind for _, kind in self.private))
            self.notice(self.private[0][0], "private_metadata", None, fields=fields)
        if self.problems:
            raise QuestionnaireError(self.problems)
        languages = (self.language, *sorted(self.languages - {self.language}))
        form = Questionnaire(**{**q.__dict__, "languages": languages, "title": q.title or {self.language: q.form_id}})
        return Built(form, self.notices)

    # --- settings, study, channels ---------------------------------------

    def survey_settings(self, rows: list[Row]) -> list[Row]:
        """pyxform lets a survey row set a setting (type ``form_title``, the value in name)."""
        kept = []
        for row in rows:
            column = settings_type(row.get("type"))
            if column:
                self.settings[{"id_string": "form_id"}.get(column, column)] = (
                    {"default": str(row.get("name", ""))} if column == "title" else str(row.get("name", "")))
            else:
                kept.append(row)
        return kept

    def form_id(self) -> str:
        stem = self.raw.source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        value = str(self.settings.get("form_id") or stem)
        if FORM_ID.match(value):
            return value
        # pyxform takes any text ("Spec test"); here it is a link (/s/<form_id>), so other
        # characters become "_" when what is left still says something.
        fixed = re.sub(r"[^A-Za-z0-9_.-]+", "_", value).strip("_.-")
        if fixed and FORM_ID.match(fixed) and len(fixed) >= len(value) / 2:
            self.notice(self.raw.settings.location, "form_id_changed", value=value, fixed=fixed)
            return fixed
        self.problem(self.raw.settings.location, "bad_form_id", value=value)
        return value

    def study(self) -> Study:
        data = {k: str(v).strip() for k, v in self.raw.study.items() if v is not None}
        unknown = sorted(set(data) - set(Study.__dataclass_fields__))
        where = self.raw.study_location or self.raw.settings.location
        for key in unknown:
            self.problem(where, "unknown_key", key=f"study.{key}")
        sampling = data.get("sampling", "convenience")
        if sampling not in SAMPLING_TYPES:
            self.problem(where, "bad_sampling", value=sampling, allowed=", ".join(SAMPLING_TYPES))
        frame = data.get("frame_size", "")
        if frame and not (frame.isdigit() and int(frame) > 0):
            self.problem(where, "bad_frame_size", value=frame)
        return Study(**{k: v for k, v in data.items() if k not in unknown})

    def channels(self) -> tuple[Channel, ...]:
        seen: set[str] = set()
        out = []
        for row in self.raw.channels:
            code, label = str(row.get("code", "")), self.text(row, "label")
            if not code or not label:
                self.problem(row.location, "bad_channel")
            elif code in seen:
                self.problem(row.location, "duplicate_channel", code=code)
            else:
                seen.add(code)
                out.append(Channel(code, label))
        return tuple(out)

    # --- choices -----------------------------------------------------------

    def choices(self) -> dict[str, tuple[Choice, ...]]:
        duplicates_allowed = flag(self.settings.get("allow_choice_duplicates"))
        lists: dict[str, list[Choice]] = {}
        for row in self.raw.choices:
            choice = self.choice(row)
            if choice is None:
                continue
            list_name = str(row.get("list_name"))
            if not duplicates_allowed and any(c.value == choice.value for c in lists.get(list_name, ())):
                self.problem(row.location, "duplicate_choice", list=list_name, value=choice.value)
            lists.setdefault(list_name, []).append(choice)
        return {name: tuple(cs) for name, cs in lists.items()}

    def choice(self, row: Row) -> Choice | None:
        if row.get("list_name") is None:
            self.problem(row.location, "missing_choice_list_name")
            return None
        if row.get("name") is None:
            self.problem(row.location, "missing_choice_name")
            return None
        value, label = str(row.get("name")), self.text(row, "label")
        if not label:
            # pyxform accepts it (ODK shows the choice's media, or nothing): its code is shown here.
            self.notice(row.location, "missing_choice_label", list=row.get("list_name"), value=value)
            label = {self.language: value}
        self.note_media(row)
        skip = {"list_name", "name", "label", "exclusive", "media", "image", "audio", "video", "big-image"}
        # Extra columns serve choice filters, which name them as XML names: no spaces.
        columns = {k.strip().replace(" ", "_"): str(v) for k, v in row.cells.items()
                   if k not in skip and v not in (None, "", {}) and not isinstance(v, dict)}
        return Choice(value, label, self.flag(row, "exclusive"), columns)

    # --- survey rows -------------------------------------------------------

    def items(self, rows: list[Row], choices: dict) -> tuple[Item, ...]:
        """Rows to a tree of groups, repeats and questions, matching begin/end rows."""
        stack: list[tuple[Row | None, str, list[Item]]] = [(None, "", [])]
        for row in rows:
            spec = parse_type(row.get("type", "")) if row.get("type") else None
            kind = spec.kind if spec else None
            if kind in ("begin_group", "begin_repeat"):
                if kind == "begin_repeat" and any(k == "begin_repeat" for _, k, _ in stack):
                    self.refuse(row, "nested_repeat")
                stack.append((row, kind, []))
            elif kind in ("end_group", "end_repeat"):
                self.close(stack, row)
            else:
                stack[-1][2].extend(self.question(row, spec, choices))
        while len(stack) > 1:
            opened = stack[-1][0]
            self.problem(opened.location, "unclosed_group", str(opened.get("name", "")),
                         name=opened.get("name", ""))
            self.close(stack, opened)
        return tuple(stack[0][2])

    def close(self, stack: list, row: Row) -> None:
        if len(stack) == 1:
            self.problem(row.location, "unbalanced_group")
            return
        opened, kind, children = stack.pop()
        name = self.name(opened)
        label, relevant = self.text(opened, "label"), _expression(opened, "relevant")
        appearance = _str_or_none(opened.get("appearance"))
        if kind == "begin_repeat":
            item = Repeat(name, label, relevant, _expression(opened, "repeat_count"), appearance,
                          tuple(children), opened.location)
        else:
            item = Group(name, label, relevant, appearance, tuple(children), opened.location)
            if item.is_matrix and not self.uniform_matrix(item):
                # ODK lays any table-list out as a grid; here the rows must share one scale,
                # so another group is shown as a plain section instead.
                self.notice(item.location, "matrix_row", item.name, detail=self.matrix_detail(item))
                item = Group(name, label, relevant, None, tuple(children), opened.location)
        stack[-1][2].append(item)

    def name(self, row: Row) -> str:
        name = str(row.get("name", ""))
        if not name:
            self.problem(row.location, "missing_name")
        elif not NAME.fullmatch(name):
            self.problem(row.location, "bad_name", name, name=name)
        return name

    def refuse(self, row: Row, feature: str) -> None:
        self.problem(row.location, "unsupported_feature", _str_or_none(row.get("name")),
                     feature=FEATURES.get(feature, {"zh": feature, "en": feature}))

    def question(self, row: Row, spec: TypeSpec | None, choices: dict) -> list[Question]:
        if not row.get("type"):
            if row.get("name") is None and not row.get("label"):
                return []  # a comment row, as pyxform skips it
            self.problem(row.location, "missing_type", row.get("name"))
            return []
        if spec is None:
            self.problem(row.location, "unknown_type", row.get("name"), type=row.get("type"))
            return []
        if spec.kind == "refused":
            self.refuse(row, spec.feature)
            return []
        if spec.kind in ("begin_loop", "end_loop"):
            self.problem(row.location, "unbalanced_group")
            return []
        if spec.kind == "meta":
            return self.metadata(row, spec)
        if spec.kind == "note" and not row.get("name"):
            row.cells["name"] = f"generated_note_name_{row_order(row.location)}"  # pyxform's rule
        self.check_appearance(row)
        name = self.name(row)
        qtype = types.get(spec.kind)
        self.check_list(row, name, qtype, spec.list_name, choices)
        question = Question(
            name=name, type=spec.kind, label=self.text(row, "label"), hint=self.text(row, "hint"),
            list_name=spec.list_name if qtype.takes_list else None, or_other=spec.or_other and qtype.takes_list,
            required=self.required(row, name), required_message=self.text(row, "required_message"),
            relevant=_expression(row, "relevant"), constraint=_both(spec.constraint, _expression(row, "constraint")),
            constraint_message=self.text(row, "constraint_message"),
            choice_filter=_expression(row, "choice_filter"), calculation=_expression(row, "calculation"),
            default=_str_or_none(row.get("default")), appearance=_str_or_none(row.get("appearance")),
            parameters=self.parameters(row, name, spec.kind), location=row.location,
        )
        self.note_media(row)
        if not question.label and not question.hint and (qtype.answerable or spec.kind == "note"):
            if row.get("media") or row.get("image") or row.get("audio") or row.get("video"):
                question = Question(**{**question.__dict__, "label": {self.language: name}})
            else:
                self.problem(row.location, "missing_label", name)
        if spec.kind == "calculate" and not question.calculation and question.default is None:
            self.problem(row.location, "missing_calculation", name)
        return [question, *self.other_question(question)]

    def metadata(self, row: Row, spec: TypeSpec) -> list[Question]:
        """start, end and today are filled from the response's own times; the rest is never collected."""
        name = str(row.get("name") or spec.meta)
        if not NAME.fullmatch(name):
            self.problem(row.location, "bad_name", name, name=name)
        if spec.meta not in TIMING_META:
            self.private.append((row.location, spec.meta))
        # Kept so that expressions may name it; a private field is always empty and never stored.
        return [Question(name=name, type=spec.meta, location=row.location)]

    def note_media(self, row: Row) -> None:
        """Images, audio and video beside texts are not shown: said once per file."""
        if not self.media_noted and any(row.get(k) for k in ("media", "image", "audio", "video", "big-image")):
            self.media_noted = True
            self.notice(row.location, "media_ignored", _str_or_none(row.get("name")) if "type" in row.cells else None)

    def check_appearance(self, row: Row) -> None:
        if re.search(r"\bsearch\s*\(", str(row.get("appearance") or "")):
            self.refuse(row, "search")

    def parameters(self, row: Row, name: str, kind: str) -> dict[str, str]:
        """A range's start, end and step (pyxform's defaults 1, 10, 1); other parameters are ODK's."""
        if kind != "range":
            return {}
        try:
            given = parse_parameters(str(row.get("parameters") or ""), 0)
        except PyXFormError:
            given = None
        values = {**types.RANGE_DEFAULTS, **{k: v for k, v in (given or {}).items() if k in types.RANGE_DEFAULTS}}
        try:
            numbers = {k: Decimal(v) for k, v in values.items()}
            ok = given is not None and numbers["step"] != 0 and all(n.is_finite() for n in numbers.values())
        except InvalidOperation:
            ok = False
        if not ok:
            self.problem(row.location, "bad_range", name, value=row.get("parameters") or "")
        return values

    def required(self, row: Row, name: str) -> str | None:
        value = row.get("required")
        if value is None:
            return None
        if is_flag(value):
            return "true()" if flag(value) else None
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(value)):
            # A lone word ("y", "maybe") is a mistyped yes/no, not an expression:
            # as an expression it would be a choice column and always false.
            self.problem(row.location, "bad_boolean", name, column="required", value=value)
            return None
        return str(value)

    def check_list(self, row: Row, name: str, qtype, list_name, choices: dict) -> None:
        if not qtype.takes_list:
            return
        if not list_name:
            self.problem(row.location, "missing_list", name, type=qtype.name)
        elif list_name in self.raw.declared_lists and list_name not in choices:
            self.problem(row.location, "empty_list", name, list=list_name)
        elif list_name not in choices:
            self.problem(row.location, "unknown_list", name, list=list_name)

    def other_question(self, question: Question) -> list[Question]:
        """or_other adds an 'other' option and a text box shown when it is chosen."""
        if not question.or_other:
            return []
        return [Question(
            name=f"{question.name}_other", type="text", label=dict(SPECIFY_LABEL),
            required="true()", relevant=f"selected(${{{question.name}}}, 'other')",
            location=question.location,
        )]

    @staticmethod
    def uniform_matrix(group: Group) -> bool:
        """Whether every row of a table-list group is a select_one on one shared list."""
        rows = [q for q in group.children if not (isinstance(q, Question) and q.type in NO_ROW_TYPES)]
        lists = {q.list_name for q in rows if isinstance(q, Question)}
        return bool(rows) and len(lists) == 1 and all(
            isinstance(q, Question) and q.type == "select_one" and not q.or_other for q in rows)

    @staticmethod
    def matrix_detail(group: Group) -> str:
        rows = group.children
        bad = [getattr(q, "name", "") for q in rows
               if not isinstance(q, Question) or q.type != "select_one" or q.or_other]
        lists = {q.list_name for q in rows if isinstance(q, Question)}
        return ", ".join(bad) if bad else ", ".join(sorted(str(x) for x in lists))


NO_ROW_TYPES = frozenset({"calculate", "hidden", *TIMING_META, *PRIVATE_META})
"""Types that take no place in a matrix (nothing is shown for them)."""

def _both(first: str | None, second: str | None) -> str | None:
    """Two constraints that must both hold (a type's own rule and the row's)."""
    if first and second:
        return f"({first}) and ({second})"
    return first or second


def _str_or_none(value: Any) -> str | None:
    if isinstance(value, bool):  # YAML reads yes/true as a bool; keep the word
        return "true" if value else "false"
    return None if value in (None, "") else str(value)


def _expression(row: Row, column: str) -> str | None:
    """An expression cell as text: YAML gives numbers and bools for ``10`` or ``false``."""
    value = row.get(column)
    if isinstance(value, bool):
        return "true()" if value else "false()"
    return _str_or_none(value)
