"""Build and validate a ``Questionnaire`` from a ``RawForm``.

Every problem is collected with its file, location and question, and the
file is rejected once with all of them (``QuestionnaireError``).
"""

from __future__ import annotations

import re
from typing import Any

from surveyapp.questionnaire import types
from surveyapp.questionnaire.compiled import analyse
from surveyapp.questionnaire.errors import Problem, QuestionnaireError
from surveyapp.questionnaire.messages import message
from surveyapp.questionnaire.raw import RawForm, Row, language_code
from surveyapp.questionnaire.schema import (
    SAMPLING_TYPES, Channel, Choice, Group, Item, Question, Questionnaire, Study, Text, groups, walk,
)

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FORM_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
META_TYPES = {"start", "end", "today", "deviceid", "username", "phonenumber", "audit",
              "simserial", "subscriberid", "email", "start-geopoint"}
UNSUPPORTED = {"begin_repeat", "end_repeat", "geopoint", "geotrace", "geoshape", "image", "audio",
               "video", "file", "barcode", "time", "datetime", "range", "hidden", "trigger",
               "select_one_from_file", "select_multiple_from_file", "background-audio"}
TYPE_ALIASES = {"begin group": "begin_group", "group": "begin_group", "end group": "end_group",
                "select one": "select_one", "select multiple": "select_multiple",
                "select all that apply": "select_multiple", "int": "integer", "string": "text",
                "begin repeat": "begin_repeat", "end repeat": "end_repeat"}
TRUE_WORDS = {"yes", "true", "true()", "1"}
FALSE_WORDS = {"no", "false", "false()", "0"}
OTHER_LABEL = {"zh": "其他", "en": "Other"}
SPECIFY_LABEL = {"zh": "请注明", "en": "Please specify"}


def parse_type(text: Any) -> tuple[str, str | None, bool]:
    """Split an XLSForm type cell into (type, list name, or_other)."""
    words = str(text).split()
    for size in (4, 2, 1):
        head = " ".join(words[:size]).lower()
        if head in TYPE_ALIASES or size == 1:
            base, rest = TYPE_ALIASES.get(head, head.replace(" ", "_")), words[size:]
            break
    tail = " ".join(rest[1:]).lower()
    # pyxform accepts all three spellings; reading the last two as "no other"
    # would silently drop the option that pyxform adds.
    or_other = tail in ("or_other", "or other", "or specify other")
    if rest and rest[0].lower() == "or_other":  # "select_one or_other": a list is missing
        return base, None, True
    return base, (rest[0] if rest else None), or_other


def is_flag(value: Any) -> bool:
    """Whether a cell holds a yes/no value."""
    return isinstance(value, bool) or str(value).strip().lower() in TRUE_WORDS | FALSE_WORDS


def flag(value: Any) -> bool:
    """A yes/no cell as a bool (empty is no)."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in TRUE_WORDS


def build(raw: RawForm) -> Questionnaire:
    """Validate ``raw`` and build the questionnaire; raises QuestionnaireError."""
    return _Builder(raw).build()


class _Builder:
    """One pass over a RawForm, collecting problems as it goes."""

    def __init__(self, raw: RawForm):
        self.raw = raw
        self.problems: list[Problem] = list(raw.problems)
        # XLSForm writes the default language like its columns, "中文 (zh)".
        self.language = language_code(raw.settings.get("default_language", "zh"))
        self.languages: set[str] = {self.language}

    def problem(self, location: str, code: str, question: str | None = None, /, **params: Any) -> None:
        # Positional-only, so that a message parameter may be called ``code``.
        self.problems.append(Problem(self.raw.source, location, code, params, question))

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

    def build(self) -> Questionnaire:
        choices = self.choices()
        items = self.items(choices)
        q = Questionnaire(
            form_id=self.form_id(), title=self.text(self.raw.settings, "title"),
            default_language=self.language, languages=(), items=items, choices=choices,
            study=self.study(), channels=self.channels(), version=str(self.raw.settings.get("version", "")),
            allow_multiple=self.flag(self.raw.settings, "allow_multiple"),
        )
        self.check_questions(q)
        if self.problems:
            raise QuestionnaireError(self.problems)
        languages = (self.language, *sorted(self.languages - {self.language}))
        return Questionnaire(**{**q.__dict__, "languages": languages,
                                "title": q.title or {self.language: q.form_id}})

    # --- settings, study, channels ---------------------------------------

    def form_id(self) -> str:
        stem = self.raw.source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        value = str(self.raw.settings.get("form_id", stem))
        if not FORM_ID.match(value):
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
        lists: dict[str, list[Choice]] = {}
        for row in self.raw.choices:
            choice = self.choice(row)
            if choice is None:
                continue
            list_name = str(row.get("list_name"))
            if any(c.value == choice.value for c in lists.get(list_name, ())):
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
            self.problem(row.location, "missing_choice_label", list=row.get("list_name"), value=value)
        skip = {"list_name", "name", "label", "exclusive", "media", "image", "audio", "video"}
        columns = {k: str(v) for k, v in row.cells.items() if k not in skip and v not in (None, "", {})}
        return Choice(value, label, self.flag(row, "exclusive"), columns)

    # --- survey rows -------------------------------------------------------

    def items(self, choices: dict) -> tuple[Item, ...]:
        """Rows to a tree of groups and questions, matching begin/end group rows."""
        stack: list[tuple[Row | None, list[Item]]] = [(None, [])]
        for row in self.raw.survey:
            kind, list_name, or_other = parse_type(row.get("type", ""))
            if kind == "begin_group":
                stack.append((row, []))
            elif kind == "end_group":
                self.close_group(stack, row)
            else:
                stack[-1][1].extend(self.question(row, kind, list_name, or_other, choices))
        while len(stack) > 1:
            opened, _ = stack[-1]
            self.problem(opened.location, "unclosed_group", str(opened.get("name", "")),
                         name=opened.get("name", ""))
            self.close_group(stack, opened)
        return tuple(stack[0][1])

    def close_group(self, stack: list, row: Row) -> None:
        if len(stack) == 1:
            self.problem(row.location, "unbalanced_group")
            return
        opened, children = stack.pop()
        name = self.name(opened, "")
        group = Group(name, self.text(opened, "label"), _expression(opened, "relevant"),
                      _str_or_none(opened.get("appearance")), tuple(children), opened.location)
        if group.is_matrix:
            self.check_matrix(group)
        stack[-1][1].append(group)

    def name(self, row: Row, kind: str) -> str:
        name = str(row.get("name", ""))
        if not name:
            self.problem(row.location, "missing_name")
        elif not NAME.match(name):
            self.problem(row.location, "bad_name", name, name=name)
        return name

    def question(self, row: Row, kind: str, list_name, or_other: bool, choices: dict) -> list[Question]:
        if not row.get("type"):
            self.problem(row.location, "missing_type", row.get("name"))
            return []
        if kind in META_TYPES:
            return []
        qtype = types.get(kind)
        if qtype is None:
            code = "unsupported_type" if kind in UNSUPPORTED else "unknown_type"
            self.problem(row.location, code, row.get("name"), type=row.get("type"))
            return []
        name = self.name(row, kind)
        self.check_list(row, name, qtype, list_name, choices)
        question = Question(
            name=name, type=kind, label=self.text(row, "label"), hint=self.text(row, "hint"),
            list_name=list_name if qtype.takes_list else None, or_other=or_other and qtype.takes_list,
            required=self.required(row, name), required_message=self.text(row, "required_message"),
            relevant=_expression(row, "relevant"), constraint=_expression(row, "constraint"),
            constraint_message=self.text(row, "constraint_message"),
            choice_filter=_expression(row, "choice_filter"), calculation=_expression(row, "calculation"),
            default=_str_or_none(row.get("default")), appearance=_str_or_none(row.get("appearance")),
            location=row.location,
        )
        if not question.label and kind != "calculate":
            self.problem(row.location, "missing_label", name)
        if kind == "calculate" and not question.calculation:
            self.problem(row.location, "missing_calculation", name)
        return [question, *self.other_question(question)]

    def required(self, row: Row, name: str) -> str | None:
        value = row.get("required")
        if value is None:
            return None
        if is_flag(value):
            return "true()" if flag(value) else None
        if NAME.match(str(value)):
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

    def check_matrix(self, group: Group) -> None:
        rows = group.children
        lists = {q.list_name for q in rows if isinstance(q, Question)}
        bad = [getattr(q, "name", "") for q in rows
               if not isinstance(q, Question) or q.type != "select_one" or q.or_other]
        if bad or len(lists) > 1 or not rows:
            detail = ", ".join(bad) if bad else ", ".join(sorted(str(x) for x in lists))
            self.problem(group.location, "matrix_row", group.name, detail=detail)

    # --- whole-questionnaire checks ----------------------------------------

    def check_questions(self, q: Questionnaire) -> None:
        seen: dict[str, str] = {}
        named = [*groups(q.items), *(question for question, _ in walk(q.items))]
        generated = {f"{question.name}_other" for question, _ in walk(q.items) if question.or_other}
        for item in sorted(named, key=lambda i: _row_order(i.location)):
            if item.name in generated and item.name in seen:
                self.problem(item.location, "or_other_clash", item.name, name=item.name)
            elif item.name in seen:
                self.problem(item.location, "duplicate_name", item.name, name=item.name, first=seen[item.name])
            elif item.name:
                seen[item.name] = item.location
        for question, _ in walk(q.items):
            self.check_default(q, question)
        if not any(True for _ in walk(q.items)):
            self.problem(self.raw.settings.location, "no_questions")
        for location, name, code, params in analyse(q):
            self.problem(location, code, name, **params)

    def check_default(self, q: Questionnaire, question: Question) -> None:
        qtype = types.get(question.type)
        if question.default is None or not qtype or not qtype.answerable:
            return
        allowed = {c.value: c for c in q.choices.get(question.list_name or "", ())}
        try:
            qtype.clean(question, question.default, allowed)
        except types.AnswerError as exc:
            self.problem(question.location, "bad_default", question.name,
                         value=question.default, detail=_plain(exc))


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


def _row_order(location: str) -> int:
    """The row or line number in a location, for reporting duplicates in file order."""
    digits = re.findall(r"\d+", location)
    return int(digits[-1]) if digits else 0


def _plain(exc: types.AnswerError) -> dict[str, str]:
    """The answer error in both languages; ``Problem.text`` picks the reader's."""
    out = {}
    for language in ("zh", "en"):
        params = {k: (v.get(language, "") if isinstance(v, dict) else v) for k, v in exc.params.items()}
        out[language] = message(exc.code, language, **params)
    return out
