"""Open answers (G1/G2): scrubbing personal data, theme coding and keyword counts.

``scrub`` replaces direct identifiers with a typed marker such as ``［电话已隐去］``
before any answer is stored or shown (domain.md §4, §5.2). Matching runs on a
copy in which full-width characters are folded to ASCII one for one, so match
positions are valid in the original text and everything else is kept as typed.
Numbers are scrubbed by shape (mobile, landline, ID, bank card, any run of 11+
digits) or after a cue (微信/QQ/电话); shorter uncued numbers such as 2025年,
5000元, 10:30, 3号楼2单元501, 110 or 12345 are left alone. Names are only
scrubbed after an explicit cue (我叫, 姓名, 民警, 片警 …), when a common surname
starts them and a plausible word or punctuation follows; a bare "王警官" or
"小王" is kept. Numbers spelt in Chinese numerals (一三八…) are not caught.
This is a safety net, not a guarantee: read answers before quoting them.

Theme and keyword counts are document frequencies: an answer counts once per
theme or word however often it repeats it. Coding is by keyword mention, not
sentiment ("没有噪音" still mentions noise).
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

MARKER = "［{}已隐去］"

# Full-width ASCII, the ideographic space and dash variants fold one for one.
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20} | dict.fromkeys(
    (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212), 0x2D)
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏"
             "魏吕丁沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱"
             "严覃武戴莫孔汤施洪殷樊葛伍庞艾柴鲍俞倪")
# Ordinary words that start with a surname and may follow 民警 etc.
_NOT_NAMES = set("周到 周边 周围 周末 马上 高度 高效 高空 方面 方便 方式 方法 何时 何况 严格 严肃 严厉 严重 付出 陆续 "
                 "曾经 许多 高兴 夏天 夏季 黄昏 江边 武警 程序 范围 金额 余额 毛病 施工 石头 董事 胡乱 顾及 龙头".split())
_NOT_GIVEN = "的地得着过了是在和也都很就不没有来去说要会能对给把被让向从与及或等们些这那个么吗呢吧啊呀某"
_NAME_CUES = "我叫|我的名字叫|我的名字是|名字叫|名字是|姓名|联系人|社区民警|民警|片警|辅警|警官|所长|网格员"
_AFTER_NAME = (r"$|[\s,.!?;:()\"'、。“”‘’]|同志|警官|民警|所长|警长|老师|师傅|先生|女士|的|很|非常|特别|十分|挺|真|太"
               r"|工作|态度|服务|经常|总是|每次|对|给|帮|认真|负责|热情|辛苦|电话|手机|联系|说|来|在|上门|处理")
_CUE_FILL = r"\s*(?:号码|号|账号|id|ID)?\s*(?:是|为)?\s*:?\s*"
_PLATE_START = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CHAR = "[A-HJ-NP-Za-hj-np-z0-9]"

# (kind, pattern); the group "x" (or the whole match) is replaced. Earlier patterns win overlaps.
_PATTERNS = [(kind, re.compile(pattern, re.ASCII)) for kind, pattern in [
    ("邮箱", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
    ("身份证号", r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
             r"[0-9Xx](?![0-9A-Za-z])"),
    ("身份证号", r"(?<![0-9])[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9])"),
    ("银行卡号", r"(?<![0-9])(?:\d{16,19}|[3-69]\d{3}(?:[ \-]\d{4}){3}(?:[ \-]?\d{1,3})?)(?![0-9])"),
    ("电话", r"(?<![0-9])(?:\(?(?:\+|00)?86\)?[ \-]?)?1[3-9]\d(?:[ \-]?\d){8}(?![0-9])"),
    ("电话", r"(?<![0-9])(?:\(0\d{2,3}\)|0\d{2,3})[ \-]?[1-9]\d{6,7}(?:\s*(?:转|-|ext\.?)\s*\d{1,6})?(?![0-9])"),
    ("电话", r"(?:电话|手机|座机|联系方式)" + _CUE_FILL + r"(?P<x>[2-9]\d{6,7})(?![0-9])"),
    ("微信号", r"(?<![A-Za-z])(?i:微信|威信|薇信|v信|vx|wx|weixin|wechat)" + _CUE_FILL
             + r"(?P<x>[A-Za-z][A-Za-z0-9_\-]{5,19}|\d{5,12})(?![A-Za-z0-9_\-])"),
    ("QQ号", r"(?<![A-Za-z])(?i:qq|扣扣)" + _CUE_FILL + r"(?P<x>[1-9]\d{4,11})(?![0-9])"),
    ("车牌号", rf"[{_PLATE_START}][A-HJ-NP-Za-hj-np-z][ ·•・.\-]?(?=(?:[A-Za-z]*\d){{2}})"
             rf"(?:{_PLATE_CHAR}{{5,6}}|{_PLATE_CHAR}{{4}}[挂学警港澳])(?![A-Za-z0-9])"),
    ("号码", r"(?<![0-9])\d{11,}(?![0-9])"),
    ("姓名", rf"(?:{_NAME_CUES})(?:\s*:\s*|是|叫|为)?\s*(?P<x>(?:欧阳|司马|诸葛|上官|[{_SURNAMES}])"
           rf"(?:(?![{_NOT_GIVEN}])[\u4e00-\u9fff]){{1,2}})(?={_AFTER_NAME})"),
]]
_MARKER_RE = re.compile("［[^［］]{1,8}已隐去］")


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _text(value: Any) -> str:
    """Any cell as str: None, NaN, NA and NaT become ""."""
    return "" if _missing(value) else value if isinstance(value, str) else str(value)


def _fold(text: str) -> str:
    return text.translate(_FOLD)


def scrub(text: Any) -> str:
    """``text`` with phone, ID, bank-card, e-mail, WeChat, QQ, plate numbers and cued names masked."""
    text = _text(text)
    folded = _fold(text)
    spans: list[tuple[int, int, str]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(folded):
            group = "x" if "x" in pattern.groupindex else 0
            start, end = match.span(group)
            if kind == "姓名" and folded[start:start + 2] in _NOT_NAMES:
                continue
            if all(end <= s or start >= e for s, e, _ in spans):
                spans.append((start, end, kind))
    for start, end, kind in sorted(spans, reverse=True):
        text = text[:start] + MARKER.format(kind) + text[end:]
    return text


def scrub_series(series: pd.Series) -> pd.Series:
    """``scrub`` applied to every answer; missing answers stay missing (string dtype)."""
    return pd.Series([pd.NA if _missing(v) else scrub(v) for v in series], index=series.index,
                     name=series.name, dtype="string")


NON_ANSWERS = frozenset({"", "无", "没有", "暂无", "没", "无意见", "没有意见", "暂无意见", "无建议", "没有建议",
                         "暂无建议", "暂时没有", "没什么", "没啥", "no", "none", "nil", "null", "na", "n/a"})
_PUNCT = re.compile(r"[\s\W_]+")


def is_blank(text: Any) -> bool:
    """True for missing, whitespace, punctuation-only and non-answers such as 无/没有/暂无/no."""
    text = _fold(_text(text)).strip().lower()
    return text in NON_ANSWERS or _PUNCT.sub("", text) in NON_ANSWERS


@dataclass(frozen=True)
class Theme:
    """A theme: Chinese and English labels and the keywords whose mention codes it."""

    label: str
    label_en: str
    keywords: tuple[str, ...]


def _theme(key: str, value: Theme | Mapping[str, Any] | Iterable[str]) -> Theme:
    if isinstance(value, Theme):
        return value
    if isinstance(value, Mapping):
        return Theme(value.get("label", key), value.get("label_en", key), tuple(value["keywords"]))
    return Theme(key, key, tuple(value))


def _t(label: str, label_en: str, keywords: str) -> Theme:
    return Theme(label, label_en, tuple(keywords.split()))


THEMES: dict[str, Theme] = {
    "patrol": _t("巡逻", "Patrols and police presence",
                 "巡逻 巡查 巡防 警车 见警 警力 多来转转 转一转 看不到警察 看不到民警 见不到民警 很少见到"),
    "lighting": _t("照明", "Street lighting", "路灯 照明 灯光 太暗 很暗 昏暗 太黑 黑灯 灯坏 没有灯 装灯 亮化"),
    "traffic": _t("停车/交通", "Parking and traffic",
                  "停车 乱停 车位 占道 交通 红绿灯 车速 超速 飙车 逆行 斑马线 拥堵 堵车 车太多 渣土车"),
    "noise": _t("噪音", "Noise", "噪音 噪声 扰民 吵闹 太吵 很吵 广场舞 喧哗 鸣笛 装修声 半夜唱歌"),
    "fraud": _t("诈骗/反诈", "Fraud and anti-fraud", "骗 反诈 刷单 杀猪盘 冒充 保健品 传销 陌生电话"),
    "theft": _t("盗窃/电动车被盗", "Theft, incl. e-bike theft",
                "盗 偷 失窃 扒窃 撬 丢失 被拿走 电瓶被 电动车被 自行车被 车被"),
    "cctv_access": _t("监控/门禁", "CCTV and access control",
                      "监控 摄像头 探头 天网 门禁 人脸识别 刷卡 门卫 大门 陌生人随意进出 随便进出"),
    "police_contact": _t("民警联系", "Contact with community police",
                         "联系方式 联系不上 找不到民警 警务室 走访 上门 微信群 不认识民警 认识民警 见面会 民警电话"),
    "police_service": _t("服务态度/出警", "Service attitude and response",
                         "态度 服务 出警 到场 响应 推诿 敷衍 不作为 效率 办事 不及时 耐心 热情 处理结果"),
    "disputes": _t("纠纷", "Disputes", "纠纷 矛盾 吵架 争吵 打架 斗殴 调解 冲突 邻里关系"),
    "migrants_rentals": _t("流动人口/出租屋", "Transient population and rentals",
                           "流动人口 外来人口 外来人员 外地人 出租屋 出租房 群租 二房东 租户 租客 人员复杂 人员杂"),
    "falling_objects": _t("高空抛物", "Objects thrown from height", "高空抛物 高空坠物 抛物 坠物 往下扔 楼上扔"),
    "fire": _t("消防", "Fire safety", "消防 火灾 失火 着火 灭火器 飞线 私拉电线 充电 电动车上楼 电瓶车上楼 "
                                     "电动车进楼 楼道堆 堆放杂物 燃气"),
    "public_order": _t("治安秩序/黄赌毒", "Public order and vice",
                       "黄赌毒 赌博 吸毒 卖淫 醉酒 闹事 寻衅 混混 流浪 乞讨 聚众"),
    "property": _t("物业/保安", "Property management and guards", "物业 保安 业委会"),
    "publicity": _t("安全宣传", "Safety publicity and education", "宣传 讲座 普及 防范意识 安全教育 安全知识"),
}


def _answers(series: pd.Series) -> list[str | None]:
    """Folded, lower-cased answers; None for blanks (see ``is_blank``)."""
    return [None if is_blank(t) else _fold(_text(t)).lower() for t in series]


def code_themes(series: pd.Series, themes: Mapping[str, Any] = THEMES) -> pd.DataFrame:
    """One boolean column per theme: does the answer mention any of its keywords? Blanks are all False."""
    answers = _answers(series)
    columns = {}
    for key, value in themes.items():
        words = [_fold(w).lower() for w in _theme(key, value).keywords]
        columns[key] = [t is not None and any(w in t for w in words) for t in answers]
    return pd.DataFrame(columns, index=series.index, columns=list(themes), dtype=bool)


def _excerpt(text: str, words: Iterable[str], width: int) -> str:
    text = " ".join(scrub(text).split())
    folded = _fold(text).lower()
    hit = min((i for i in (folded.find(_fold(w).lower()) for w in words) if i >= 0), default=0)
    start = max(0, min(hit - width // 3, len(text) - width))
    piece = text[start:start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def theme_counts(series: pd.Series, themes: Mapping[str, Any] = THEMES, examples: int = 3,
                 width: int = 40) -> list[dict[str, Any]]:
    """Per theme: answers mentioning it, share of non-blank answers and scrubbed excerpts; largest first."""
    coded = code_themes(series, themes)
    base_n = sum(not is_blank(t) for t in series)
    rows = []
    for key, value in themes.items():
        theme = _theme(key, value)
        excerpts: list[str] = []
        for text in (t for t, hit in zip(series, coded[key]) if hit):   # scrubbing is costly: stop early
            excerpt = _excerpt(_text(text), theme.keywords, width)
            if excerpt not in excerpts:
                excerpts.append(excerpt)
            if len(excerpts) == examples:
                break
        count = int(coded[key].sum())
        rows.append({"theme": key, "label": theme.label, "label_en": theme.label_en, "count": count,
                     "share": count / base_n if base_n else None, "base_n": base_n,
                     "examples": excerpts[:examples]})
    return sorted(rows, key=lambda row: -row["count"])


STOPWORDS = frozenset(
    "的 了 是 我 我们 你们 他们 希望 建议 没有 一些 一下 一点 可以 能够 能 要 就 都 也 还 很 非常 比较 特别 觉得 认为 感觉 "
    "这个 那个 这些 那些 这样 什么 怎么 因为 所以 但是 而且 如果 或者 还是 以及 还有 进行 加强 增加 提高 多多 应该 需要 "
    "问题 方面 情况 现在 目前 有时 时候 一直 经常 社区 本社区 工作 已隐去 谢谢 无 暂无".split())
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_jieba = None


def _segment(text: str) -> list[str]:
    """jieba words of ``text``. jieba is imported lazily: its dictionary takes a second to load.

    jieba 0.42.1 has invalid escape sequences (a DeprecationWarning, SyntaxWarning on 3.12+,
    when its source is compiled without a .pyc) and imports the deprecated pkg_resources;
    under ``filterwarnings = error`` both would fail the import, so they are ignored here.
    Its "Building prefix dict" debug messages are silenced.
    """
    global _jieba
    if _jieba is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import jieba
        jieba.setLogLevel(logging.WARNING)
        _jieba = jieba
    return _jieba.lcut(text)


def keywords(series: pd.Series, top: int = 20, stopwords: Iterable[str] = STOPWORDS) -> list[tuple[str, int]]:
    """The ``top`` words by the number of non-blank answers using them, from the scrubbed text."""
    stop = {w.lower() for w in stopwords}
    counts: Counter[str] = Counter()
    for text in map(_text, series):
        if is_blank(text):
            continue
        clean = _fold(_MARKER_RE.sub(" ", scrub(text))).lower()
        counts.update({w for w in (w.strip() for w in _segment(clean))
                       if len(w) > 1 and _WORD.search(w) and w not in stop})
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
