"""An analysis plan read off the questionnaire itself, for questionnaires that have none.

A researcher who brings a questionnaire should get a report before writing a plan. The
answer lists say what each question measures:

* a Likert list of satisfaction, safety, agreement or verdicts (很满意…很不满意, 很安全…很不安全,
  非常同意…非常不同意, 很好…很差), favourable end first or last, gives a rate of the two
  favourable answers and a 100-point score; 说不清, 不知道 and the like stay out of the base;
* a yes/no question gives the rate of "yes";
* other lists, multiple choices, numbers and open answers (views asked for: multiline boxes or
  意见建议 questions, not names, addresses or phone numbers) are described, not turned into
  indicators (see ``describe``).

Everything here is a pure function of the questionnaire; ``plan_yaml`` writes the result
as a plan file the researcher can edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from surveyapp.analysis.plan import Indicator, Plan
from surveyapp.questionnaire.messages import pick
from surveyapp.questionnaire.schema import Choice, Question, Questionnaire, Repeat, walk_all

NON_SUBSTANTIVE = re.compile(
    r"^(说不清|说不清楚|不清楚|不知道|不好说|说不好|无法回答|难以回答|无法评价|拒答|拒绝回答|不适用|不了解|"
    r"没有接触过?|未接触过?|没接触过?|不确定|don'?t know|not sure|refused?|n/?a)(\W.*)?$", re.IGNORECASE)

# Scale families: the word the favourable end carries, the rate's and the score's names.
SCALES = (
    ("满意", "满意率", "满意度得分"),
    ("安全", "安全感率", "安全感得分"),
    ("同意|赞成|认同", "认同率", "认同度得分"),
    ("信任|放心", "信任率", "信任度得分"),
    ("好", "好评率", "评价得分"),
    ("satisf", "satisfaction rate", "satisfaction score"),
    ("safe", "feeling safe", "safety score"),
    ("agree", "agreement rate", "agreement score"),
)
NEGATIVE = re.compile(r"不|没|差|坏|反对|dis|un|not|poor|bad", re.IGNORECASE)
YES = re.compile(r"^(是|有|会|知道|了解|听说过|见过|参加过|愿意|yes|y)(\W.*)?$", re.IGNORECASE)
NO = re.compile(r"^(否|不是|没有|无|不会|不知道|没听说过|没见过|没参加过|不愿意|no|n)(\W.*)?$", re.IGNORECASE)
LEADING = re.compile(r"^(请问|总体来说|总的来说|总体上|总体而言|整体上|您|你|对于|对|觉得|认为|感觉|感到)+")
TRAILING = re.compile(r"(是否满意|满意程度|满意度|满不满意|安不安全|同不同意|如何|怎么样|怎样|的评价|评价|"
                      r"吗|么|呢|是否|感到|感觉|觉得|满意|安全|同意|的)+$")


@dataclass(frozen=True)
class Measure:
    """What one question measures, read off its answer list."""

    question: str
    kind: str
    """likert, yesno, category, multiple, number, open or none."""
    topic: str = ""
    positive: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    scores: tuple[tuple[str, float], ...] = ()
    rate_name: str = ""
    score_name: str = ""
    group: str = ""
    """The top-level group (page) the question is on, or its roster; '' outside groups."""
    roster: str = ""
    """The roster holding the question ('' for a respondent's own answer): the measure counts entries."""


def is_non_substantive(choice: Choice) -> bool:
    return bool(NON_SUBSTANTIVE.match(_label(choice.label)))


def describe(form: Questionnaire) -> list[Measure]:
    """What every answerable question measures, in questionnaire order.

    Inside a roster only evaluations and yes/no questions are kept (as measures over entries,
    ``roster`` set and ``group`` the roster's name); the other kinds describe respondents."""
    out = []
    for question, parents in walk_all(form.items):
        roster = next((p.name for p in parents if isinstance(p, Repeat)), "")
        measure = _measure(question, form, roster or (parents[0].name if parents else ""), parents)
        if roster and measure.kind not in ("likert", "yesno"):
            continue
        out.append(replace(measure, roster=roster) if roster else measure)
    return [m for m in out if m.kind != "none"]


def _measure(question: Question, form: Questionnaire, group: str, parents: tuple) -> Measure:
    kind = {"select_multiple": "multiple", "integer": "number", "decimal": "number", "text": "open"}.get(question.type)
    if question.type == "text" and not _is_opinion(question):
        kind = None     # a name, an address or a phone number is not an opinion to count themes in
    if kind:
        return Measure(question.name, kind, _topic(question, parents), group=group)
    if question.type != "select_one":
        return Measure(question.name, "none")
    choices = form.choices.get(question.list_name or "", ())
    exclude = tuple(c.value for c in choices if is_non_substantive(c))
    substantive = [c for c in choices if c.value not in exclude]
    topic = _topic(question, parents)
    likert = _likert(substantive)
    if likert is not None:
        ordered, rate_word, score_word = likert
        k = len(ordered)
        scores = tuple((c.value, round(100 * (k - 1 - i) / (k - 1), 1)) for i, c in enumerate(ordered))
        favourable = tuple(c.value for c in substantive if c in ordered[:2])   # in list order
        return Measure(question.name, "likert", topic, favourable, exclude, scores,
                       _joined(topic, rate_word), _joined(topic, score_word), group)
    if len(substantive) == 2:
        yes = [c for c in substantive if YES.match(_label(c.label))]
        no = [c for c in substantive if NO.match(_label(c.label))]
        if len(yes) == 1 and len(no) == 1:
            return Measure(question.name, "yesno", topic, (yes[0].value,), exclude,
                           rate_name=f"{topic}的比例" if topic else f"回答“{_label(yes[0].label)}”的比例", group=group)
    return Measure(question.name, "category", topic, exclude=exclude, group=group)


OPINION = re.compile(r"意见|建议|看法|想法|希望|诉求|反映|评价|其他|补充|suggest|comment|opinion|other", re.IGNORECASE)


def _is_opinion(question: Question) -> bool:
    """An open question whose answers are views (multiline, or asking for 意见建议 and the like)."""
    appearance = question.appearance or ""
    if "numbers" in appearance or "url" in appearance or "regex(" in (question.constraint or ""):
        return False
    return "multiline" in appearance or bool(OPINION.search(_label(question.label)))


def _likert(substantive: list[Choice]) -> tuple[list[Choice], str, str] | None:
    """The choices favourable first and the scale's names, when the list is an evaluation scale."""
    if not 3 <= len(substantive) <= 7:
        return None
    labels = [_label(c.label) for c in substantive]
    for word, rate_word, score_word in SCALES:
        pattern = re.compile(word, re.IGNORECASE)
        if not (pattern.search(labels[0]) and pattern.search(labels[-1])):
            continue
        first_negative, last_negative = bool(NEGATIVE.search(labels[0])), bool(NEGATIVE.search(labels[-1]))
        if last_negative and not first_negative:
            return substantive, rate_word, score_word
        if first_negative and not last_negative:
            return substantive[::-1], rate_word, score_word
    return None


def _label(text: dict | str) -> str:
    value = pick(text, "zh") if isinstance(text, dict) else text
    return re.sub(r"\s+", " ", value or "").strip()


def _topic(question: Question, parents: tuple) -> str:
    """A few words naming what a question asks about ("您对社区民警的工作满意吗？" -> "社区民警的工作").

    The last clause that still says something once the framing words are gone; "总体" for an
    overall question ("总的来看，…，您觉得安全吗？")."""
    text = re.sub(r"^[A-Za-z]{0,2}\d+[a-z]?[.、．]?\s*", "", _label(question.label) or question.name)
    text = re.sub(r"[（(][^）)]*[）)]", "", text)
    text = re.split(r"[？?：:。！!]", text)[0]
    clauses = [TRAILING.sub("", LEADING.sub("", c.strip())).replace("是否", "").replace("您", "").lstrip("的")
               for c in re.split(r"[，,；;]", text)]
    if clauses and not clauses[-1] and re.search(r"总的来看|总的来说|总体|整体|综合", text):
        return "总体"
    return next((c for c in reversed(clauses) if c), question.name)


def _joined(topic: str, word: str) -> str:
    return f"{topic}{word}" if re.search(r"[\u4e00-\u9fff]", word) else f"{topic}: {word}"


def derive_plan(form: Questionnaire) -> Plan:
    """The plan the questionnaire implies: a rate and a score per Likert item, a rate per yes/no item."""
    indicators: list[Indicator] = []
    excluded: set[str] = set()
    taken = {q.name for q, _ in walk_all(form.items)}
    rosters = {r.name: pick(r.label, "zh") or r.name for r in form.repeats()}
    for measure in describe(form):
        if measure.kind not in ("likert", "yesno"):
            continue
        excluded.update(measure.exclude)
        per = f"（按{rosters[measure.roster]}计）" if measure.roster else ""
        roster = measure.roster or None
        indicators.append(Indicator(_name(measure.question, "rate", taken), "rate", {"zh": measure.rate_name + per},
                                    measure.question, positive=measure.positive, exclude=measure.exclude,
                                    roster=roster))
        if measure.kind == "likert":
            indicators.append(Indicator(_name(measure.question, "score", taken), "score",
                                        {"zh": measure.score_name + per}, measure.question, exclude=measure.exclude,
                                        scores=dict(measure.scores), roster=roster))
    return Plan(form.form_id, tuple(indicators), non_substantive=tuple(sorted(excluded)) or ("9",))


def _name(question: str, suffix: str, taken: set[str]) -> str:
    name = f"{question}_{suffix}"
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def likert_rates(form: Questionnaire, plan: Plan) -> list[Indicator]:
    """The plan's rates of Likert items: the comparable evaluations a generic report weighs."""
    likert = {m.question for m in describe(form) if m.kind == "likert" and not m.roster}
    return [i for i in plan.indicators if i.kind == "rate" and i.question in likert]
