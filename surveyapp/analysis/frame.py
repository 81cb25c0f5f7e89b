"""Stored responses as a typed DataFrame: one row per response, one column per answer.

``build_dataset`` takes the responses' metadata and answer documents (read by
``surveyapp.datasets`` in one query) and the questionnaire versions they
answered, newest first, and returns a ``Dataset``: the frame and a codebook.

Column types:

* select_one: an ordered ``Categorical`` of the choice codes in list order
  (labels in the codebook; ``Dataset.labelled`` swaps them in);
  non-substantive codes such as "9" (说不清/不了解) stay in the data and are
  named in ``Variable.non_substantive``;
* select_multiple: one nullable boolean column per choice, ``name/code``
  (NA when the question was not answered);
* rank: one nullable integer column per choice, ``name/code``, the position;
* integer ``Int64``, decimal ``Float64``, date ``datetime64``, text ``string``,
  acknowledge ``boolean``, calculate numeric when every value is numeric;
* a question missing from a response's version is NA.

Metadata columns start with an underscore: ``META_COLUMNS``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any

import numpy as np
import pandas as pd

from surveyapp.analysis.plan import TIMEZONE
from surveyapp.questionnaire.schema import Questionnaire, Question, Text, groups

META_COLUMNS = ("_id", "_version", "_channel", "_mode", "_field_worker", "_started_at", "_submitted_at",
                "_duration_s", "_wave")
SPLIT_TYPES = frozenset({"select_multiple", "rank"})
SKIPPED_TYPES = frozenset({"note"})
DEFAULT_NON_SUBSTANTIVE = ("9",)


@dataclass(frozen=True)
class Variable:
    """One question as the analysis sees it: its columns, labels and codes."""

    name: str
    type: str
    label: Text
    choices: tuple[tuple[str, Text], ...] = ()
    non_substantive: frozenset[str] = frozenset()
    matrix: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The frame columns holding this question's answers."""
        if self.type in SPLIT_TYPES:
            return tuple(f"{self.name}/{code}" for code, _ in self.choices)
        return (self.name,)

    @property
    def codes(self) -> tuple[str, ...]:
        """The choice codes in list order."""
        return tuple(code for code, _ in self.choices)

    def choice_label(self, code: str, language: str = "zh") -> str:
        """The label of choice ``code`` in ``language`` (the code when unknown)."""
        label = dict(self.choices).get(code)
        return _pick(label, language) if label else code


@dataclass(frozen=True)
class Dataset:
    """Responses as a typed frame plus the codebook that explains its columns."""

    frame: pd.DataFrame
    variables: dict[str, Variable]
    versions: tuple[int, ...] = ()
    title: Text = field(default_factory=dict)
    checksum: str = ""
    rosters: dict[str, Any] = field(default_factory=dict)
    """Roster name -> ``analysis.rosters.Roster``: one row per entry, linked by ``_id``."""
    """A digest of the stored responses read (ids, times and answer documents), when known."""

    def __len__(self) -> int:
        return len(self.frame)

    def batteries(self) -> dict[str, list[str]]:
        """Likert matrices: matrix group name -> its select_one questions."""
        out: dict[str, list[str]] = {}
        for variable in self.variables.values():
            if variable.matrix and variable.type == "select_one":
                out.setdefault(variable.matrix, []).append(variable.name)
        return out

    def substantive(self, name: str) -> pd.Series:
        """A select_one column with its non-substantive codes (说不清…) set to NA."""
        variable = self.variables[name]
        column = self.frame[name]
        return column.where(~column.isin(variable.non_substantive))

    def labelled(self, name: str, language: str = "zh") -> pd.Series:
        """A select_one column with choice labels instead of codes."""
        variable = self.variables[name]
        mapping = {code: _pick(label, language) for code, label in variable.choices}
        return self.frame[name].cat.rename_categories(mapping)

    def roster(self, name: str):
        """Roster ``name``'s entries (``analysis.rosters.Roster``); KeyError names the rosters there are."""
        if name not in self.rosters:
            raise KeyError(f"no roster {name!r}; rosters: {', '.join(self.rosters) or 'none'}")
        return self.rosters[name]

    def subset(self, mask: pd.Series | np.ndarray) -> Dataset:
        """The same codebook over the rows where ``mask`` is true."""
        frame = self.frame[np.asarray(mask, dtype=bool)]
        kept = set(frame["_id"]) if "_id" in frame else set()
        rosters = {name: dataclasses.replace(r, frame=r.frame[r.frame["_id"].isin(kept)].reset_index(drop=True))
                   for name, r in self.rosters.items()}
        return Dataset(frame, self.variables, self.versions, self.title, rosters=rosters)


def _pick(text: Text | None, language: str) -> str:
    if not text:
        return ""
    return text.get(language) or text.get("zh") or next(iter(text.values()))


def codebook(forms: Sequence[Questionnaire], non_substantive: Iterable[str] = DEFAULT_NON_SUBSTANTIVE
             ) -> dict[str, Variable]:
    """The variables over all ``forms`` (newest first): the newest wording and order win,
    choice lists are the union in the newest list's order."""
    codes = frozenset(non_substantive)
    variables: dict[str, Variable] = {}
    for form in forms:
        matrices = {q.name: g.name for g in groups(form.items) if g.is_matrix for q in g.children
                    if isinstance(q, Question)}
        for question in form.questions():
            if question.type in SKIPPED_TYPES:
                continue
            choices = _choices(form, question)
            known = variables.get(question.name)
            if known is not None:
                extra = tuple(c for c in choices if c[0] not in known.codes)
                if extra:
                    variables[question.name] = _replace_choices(known, known.choices + extra)
                continue
            variables[question.name] = Variable(
                question.name, question.type, question.label, choices,
                frozenset(code for code, _ in choices if code in codes), matrices.get(question.name))
    return variables


def _replace_choices(variable: Variable, choices: tuple[tuple[str, Text], ...]) -> Variable:
    return Variable(variable.name, variable.type, variable.label, choices, variable.non_substantive,
                    variable.matrix)


def _choices(form: Questionnaire, question: Question) -> tuple[tuple[str, Text], ...]:
    listed = tuple((c.value, c.label) for c in form.choices.get(question.list_name or "", ()))
    if question.or_other:
        listed += (("other", {"zh": "其他", "en": "Other"}),)
    return listed


def build_dataset(meta: dict[str, Any], answers: Sequence[dict[str, Any]] | Iterable[Sequence[dict[str, Any]]],
                  forms: Sequence[Questionnaire], versions: Sequence[int] = (),
                  non_substantive: Iterable[str] = DEFAULT_NON_SUBSTANTIVE, *, chunked: bool = False) -> Dataset:
    """The typed dataset of responses.

    :param meta: columns of response metadata, one value per response:
        ``_id``, ``_version``, ``_channel``, ``_mode``, ``_field_worker``,
        ``_started_at``, ``_submitted_at`` (UTC) and optionally ``_wave``.
    :param answers: each response's stored answer document; with ``chunked``,
        an iterable of lists of documents (parsed chunk by chunk, each chunk is
        typed while its objects are still in the processor's cache).
    :param forms: the questionnaire versions involved, newest first.
    """
    from surveyapp.analysis.rosters import build_roster, roster_names  # it reuses this module's column typing

    variables = codebook(forms, non_substantive)
    names = list(variables)
    parts: dict[str, list[Any]] = {}
    n = 0
    blocks = answers if chunked else [answers]
    roster_parts: dict[str, list[Any]] = {name: [] for name in roster_names(forms)}
    for block in chain(blocks, [[]]):   # an empty block closes the run, so every column exists
        if parts and not block:
            break
        n += len(block)
        for name, kept in roster_parts.items():
            kept.extend({name: document.get(name)} for document in block)
        for variable, raw in zip(variables.values(), _transpose(block, names)):
            for column, values in _typed(variable, raw).items():
                parts.setdefault(column, []).append(values)
    columns = _meta_columns(meta, n)
    columns.update({column: _concatenated(pieces) for column, pieces in parts.items()})
    # Arrays, not Series: a dict of Series would be aligned on their indexes, column by column.
    frame = pd.DataFrame({k: v.array if isinstance(v, pd.Series) else v for k, v in columns.items()},
                         index=pd.RangeIndex(n))
    title = forms[0].title if forms else {}
    ids = list(frame["_id"])
    rosters = {name: build_roster(name, ids, kept, forms, non_substantive) for name, kept in roster_parts.items()}
    return Dataset(frame, variables, tuple(versions), title, rosters=rosters)


def _concatenated(pieces: list[Any]) -> Any:
    """One column from its chunks (the dtype of the chunks is kept)."""
    if isinstance(pieces[0], _Codes):
        positions = np.concatenate([piece.positions for piece in pieces])
        return pd.Categorical.from_codes(positions, categories=list(pieces[0].categories), ordered=True)
    if len(pieces) == 1:
        return pieces[0]
    return pd.concat([pd.Series(piece) for piece in pieces], ignore_index=True).array


def _transpose(answers: Sequence[dict[str, Any]], names: list[str]) -> list[np.ndarray]:
    """The documents' values as one object array per name (None where absent).

    Row by row, so each document is visited once: column-by-column lookups over
    100k scattered dicts are three times slower, and a DataFrame of raw objects
    would first turn every text column into pandas strings.
    """
    n = len(answers)
    if not n:
        return [np.full(0, None, dtype=object) for _ in names]
    rows = [tuple(map(document.get, names)) for document in answers]
    return [np.fromiter(column, dtype=object, count=n) for column in zip(*rows)]


def _meta_columns(meta: dict[str, Any], n: int) -> dict[str, Any]:
    def utc(name: str) -> pd.Series:
        values = meta.get(name, [None] * n)
        if isinstance(values, pd.Series) and isinstance(values.dtype, pd.DatetimeTZDtype):
            return values.dt.tz_convert("UTC").reset_index(drop=True)
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object), utc=True))

    started, submitted = utc("_started_at"), utc("_submitted_at")
    return {
        "_id": pd.array(meta.get("_id", range(n)), dtype="Int64"),
        "_version": pd.array(meta.get("_version", [None] * n), dtype="Int64"),
        "_channel": pd.array(meta.get("_channel", [None] * n), dtype="string"),
        "_mode": pd.array(meta.get("_mode", ["self"] * n), dtype="string"),
        "_field_worker": pd.array(meta.get("_field_worker", [None] * n), dtype="Int64"),
        "_started_at": started,
        "_submitted_at": submitted,
        "_duration_s": (submitted - started).dt.total_seconds().to_numpy(),
        "_wave": pd.array(meta.get("_wave", [None] * n), dtype="string"),
    }


def _typed(variable: Variable, raw: np.ndarray) -> dict[str, Any]:
    """The frame column(s) of one question from its raw JSON values (None = no answer)."""
    kind = variable.type
    if kind == "select_one":
        return {variable.name: _categorical(variable.codes, raw)}
    if kind == "select_multiple":
        return _indicator_columns(variable, raw)
    if kind == "rank":
        return _rank_columns(variable, raw)
    if kind in ("integer", "decimal"):
        numbers = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce")
        return {variable.name: numbers.astype("Int64" if kind == "integer" else "Float64").array}
    if kind == "date":
        return {variable.name: pd.to_datetime(pd.Series(raw, dtype=object), format="%Y-%m-%d", errors="coerce")}
    if kind == "acknowledge":
        return {variable.name: pd.array(raw, dtype="boolean")}
    if kind == "calculate":
        series = pd.Series(raw, dtype=object)
        numbers = pd.to_numeric(series, errors="coerce")
        return {variable.name: numbers if numbers.notna().sum() == series.notna().sum() else series.astype("string")}
    return {variable.name: pd.array(raw, dtype="string")}


@dataclass(frozen=True)
class _Codes:
    """A chunk of a select_one column: category positions (-1 = NA), made a Categorical once."""

    positions: np.ndarray
    categories: tuple[str, ...]


def _categorical(codes: Sequence[str], raw: np.ndarray) -> _Codes:
    """Each answer's position in the choice list (unknown values become NA)."""
    position = {code: index for index, code in enumerate(codes)}
    return _Codes(np.fromiter(map(position.get, raw, repeat(-1)), dtype=np.int16, count=len(raw)), tuple(codes))


def _indicator_columns(variable: Variable, raw: np.ndarray) -> dict[str, Any]:
    """One boolean column per choice; NA where the question has no answer."""
    position = {code: index for index, code in enumerate(variable.codes)}
    chosen = np.zeros((len(raw), len(position)), dtype=bool)
    answered = np.zeros(len(raw), dtype=bool)
    for row, value in enumerate(raw):
        if isinstance(value, list):
            answered[row] = True
            for code in value:
                column = position.get(code)
                if column is not None:
                    chosen[row, column] = True
    return {f"{variable.name}/{code}": pd.arrays.BooleanArray(chosen[:, column].copy(), ~answered)
            for code, column in position.items()}


def _rank_columns(variable: Variable, raw: np.ndarray) -> dict[str, Any]:
    """One integer column per choice: its position in the ranking (1 = first)."""
    out = {}
    for code in variable.codes:
        positions = [v.index(code) + 1 if isinstance(v, list) and code in v else None for v in raw]
        out[f"{variable.name}/{code}"] = pd.array(positions, dtype="Int64")
    return out


def assign_waves(submitted_at: pd.Series, waves: Sequence[tuple[str, Any, Any]],
                 timezone: str = TIMEZONE) -> pd.Series:
    """The wave each submit time falls in (by local calendar date), NA outside every wave.

    :param waves: (name, first day, last day) with dates inclusive.
    """
    local_days = pd.Series(submitted_at).dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
    result = pd.Series(pd.NA, index=local_days.index, dtype="string")
    for name, start, end in waves:
        inside = (local_days >= pd.Timestamp(start)) & (local_days <= pd.Timestamp(end))
        result = result.mask(inside & result.isna(), name)
    return result
