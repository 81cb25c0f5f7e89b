"""Scrubbing, theme coding and keyword counts of open answers (G1/G2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.openanswers import (THEMES, code_themes, is_blank, keywords, scrub, scrub_series,
                                            theme_counts)

PHONE, ID, CARD, MAIL = "［电话已隐去］", "［身份证号已隐去］", "［银行卡号已隐去］", "［邮箱已隐去］"
WECHAT, QQ, PLATE, NAME = "［微信号已隐去］", "［QQ号已隐去］", "［车牌号已隐去］", "［姓名已隐去］"

SCRUBBED = [
    ("有事打我电话13800138000，谢谢", f"有事打我电话{PHONE}，谢谢"),
    ("手机 138 0013 8000 晚上打", f"手机 {PHONE} 晚上打"),
    ("+86 138-0013-8000", PHONE),
    ("联系008613912345678", f"联系{PHONE}"),
    ("电话：１３８００１３８０００（全角）", f"电话：{PHONE}（全角）"),
    ("物业电话０２１－６２３４５６７８", f"物业电话{PHONE}"),
    ("座机010-88886666转123", f"座机{PHONE}"),
    ("（0755）23456789", PHONE),
    ("联系电话：88886666", f"联系电话：{PHONE}"),
    ("我身份证110101199003071234丢了", f"我身份证{ID}丢了"),
    ("身份证号11010119900307123X", f"身份证号{ID}"),
    ("身份证号１１０１０１１９９００３０７１２３ｘ", f"身份证号{ID}"),
    ("老身份证110101900307123", f"老身份证{ID}"),
    ("被骗的卡号6222021234567890123", f"被骗的卡号{CARD}"),
    ("卡号 6222 0212 3456 7890", f"卡号 {CARD}"),
    ("发到zhang.san@qq.com", f"发到{MAIL}"),
    ("加我微信：zhangsan_88", f"加我微信：{WECHAT}"),
    ("微信号是 Li-Ming2024", f"微信号是 {WECHAT}"),
    ("vx abc123456 随时联系", f"vx {WECHAT} 随时联系"),
    ("QQ：123456789", f"QQ：{QQ}"),
    ("车牌京A12345的车天天乱停", f"车牌{PLATE}的车天天乱停"),
    ("粤B·D12345占了消防通道", f"{PLATE}占了消防通道"),
    ("浙A1B2C3挂", f"{PLATE}挂"),
    ("我叫张伟，住3号楼", f"我叫{NAME}，住3号楼"),
    ("姓名：欧阳娜娜", f"姓名：{NAME}"),
    ("感谢社区民警王建国同志", f"感谢社区民警{NAME}同志"),
    ("民警李娜的电话是13912345678", f"民警{NAME}的电话是{PHONE}"),
    ("片警刘强很负责", f"片警{NAME}很负责"),
    ("单号123456789012345678901", "单号［号码已隐去］"),
]

UNCHANGED = [
    "2025年10月13日晚上10:30有人吵闹",
    "被骗了5000元，报了110",
    "3号楼2单元501楼上高空抛物",
    "打12345热线和96110都没用",
    "小区有12345人，只有2个保安",
    "2023-2024年电动车丢了3辆",
    "王警官人很好，小王也不错",
    "感谢李警官",
    "民警周到的服务",
    "民警马上就到了",
    "社区民警高度负责",
    "民警付出很多，严格执法",
    "民警们很辛苦",
    "民警王某处理过",
    "我叫小王",
    "微信群里通知不及时",
    "QQ群没人管",
    "A4纸打印的通知",
    "第1、2、3栋之间没有路灯",
    "电话打不通，打了3次",
    "价格是1.5万元，面积89.5平方米",
]


@pytest.mark.parametrize(("text", "expected"), SCRUBBED)
def test_scrub_masks_identifiers(text, expected):
    assert scrub(text) == expected
    assert scrub(expected) == expected  # idempotent


@pytest.mark.parametrize("text", UNCHANGED)
def test_scrub_leaves_ordinary_text(text):
    assert scrub(text) == text


@pytest.mark.parametrize(("value", "expected"), [(None, ""), (np.nan, ""), (pd.NA, ""), (pd.NaT, ""),
                                                 (13800138000, PHONE), (12, "12")])
def test_scrub_never_crashes(value, expected):
    assert scrub(value) == expected


def test_scrub_series_keeps_missing_and_index():
    series = pd.Series(["电话13800138000", None, "路灯太暗"], index=[5, 6, 7], dtype="string", name="G1")
    result = scrub_series(series)
    assert result.tolist()[::2] == [f"电话{PHONE}", "路灯太暗"] and result.isna().tolist() == [False, True, False]
    assert result.index.tolist() == [5, 6, 7] and result.name == "G1" and result.dtype == "string"


@pytest.mark.parametrize("text", [None, "", "  ", "无", "无。", "没有！", "暂无", "No", "n/a", "——", "……"])
def test_blank_answers(text):
    assert is_blank(text)


def test_not_blank():
    assert not is_blank("没有路灯") and not is_blank("无人巡逻")


ANSWERS = pd.Series([
    "晚上路灯太暗，路灯坏了没人修，希望加强巡逻",  # lighting (once, though said twice), patrol
    "电动车被偷了两次，希望多巡逻",                # theft, patrol
    "无",
    None,
    "  ",
    "乱停车严重，占道",                          # traffic
    "接到诈骗电话，冒充公检法，我电话13800138000",  # fraud
    "没有",
], index=range(100, 108), dtype="string")


def test_code_themes():
    coded = code_themes(ANSWERS)
    assert list(coded.columns) == list(THEMES) and coded.index.equals(ANSWERS.index)
    assert coded.dtypes.eq(bool).all()
    assert coded["lighting"].tolist() == [True] + [False] * 7
    assert coded["patrol"].tolist() == [True, True] + [False] * 6
    assert not coded.loc[[102, 103, 104, 107]].any(axis=None)


def test_theme_counts_document_frequency_and_base():
    counts = {row["theme"]: row for row in theme_counts(ANSWERS)}
    assert counts["patrol"]["count"] == 2 and counts["lighting"]["count"] == 1
    assert {row["base_n"] for row in counts.values()} == {4}
    assert counts["patrol"]["share"] == pytest.approx(0.5)
    assert counts["noise"]["count"] == 0
    rows = theme_counts(ANSWERS)
    assert rows[0]["theme"] == "patrol" and [r["count"] for r in rows] == sorted((r["count"] for r in rows),
                                                                                reverse=True)
    assert counts["fraud"]["examples"] == [f"接到诈骗电话，冒充公检法，我电话{PHONE}"]
    assert counts["patrol"]["label"] == "巡逻" and counts["patrol"]["label_en"]


def test_theme_counts_custom_themes_and_excerpts():
    series = pd.Series(["这是一段很长的前言" * 5 + "楼下烧烤摊太吵" + "然后还有很长的后记" * 5, "烧烤油烟"])
    rows = theme_counts(series, {"bbq": ["烧烤"], "dogs": {"label": "遛狗", "keywords": ["狗"]}}, width=20)
    assert [(r["theme"], r["label"], r["count"], r["base_n"]) for r in rows] == [("bbq", "bbq", 2, 2),
                                                                                  ("dogs", "遛狗", 0, 2)]
    first = rows[0]["examples"][0]
    assert "烧烤" in first and first.startswith("…") and first.endswith("…") and len(first) == 22
    assert theme_counts(pd.Series(["无", None]))[0]["share"] is None


def test_keywords_document_frequency_and_filters():
    series = pd.Series(["路灯路灯路灯太暗，希望加强巡逻！", "路灯坏了", "巡逻的民警很少 2025 ok",
                        "民警王建国电话13800138000", "无", None])
    words = dict(keywords(series))
    assert words["路灯"] == 2 and words["巡逻"] == 2 and words["民警"] == 2
    assert not {"希望", "加强", "的", "2025", "，", "！"} & set(words)
    assert all(len(w) > 1 for w in words)
    assert not any("138" in w or "建国" in w or "隐去" in w for w in words)  # scrubbed before counting
    assert keywords(series, top=1) == [("巡逻", 2)]  # ties broken by the word (code point order)
    assert "路灯" not in dict(keywords(series, stopwords={"路灯"}))
