"""Every user-facing message of the questionnaire layer, in Chinese and English.

Messages are looked up by code so that a problem or an answer error can be
shown in the reader's language; Chinese is the default.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_LANGUAGE = "zh"

MESSAGES: dict[str, dict[str, str]] = {
    # Problems in a questionnaire file.
    "unreadable": {"zh": "无法读取文件：{detail}", "en": "cannot read the file: {detail}"},
    "unsupported_file": {
        "zh": "不支持的文件类型“{suffix}”（应为 .yaml、.yml、.xlsx、.xls、.xlsm、.csv 或 .md）",
        "en": "unsupported file type '{suffix}' (expected .yaml, .yml, .xlsx, .xls, .xlsm, .csv or .md)",
    },
    "missing_sheet": {"zh": "缺少工作表“{sheet}”", "en": "the '{sheet}' sheet is missing"},
    "not_a_mapping": {"zh": "应为键值映射", "en": "expected a mapping"},
    "not_a_list": {"zh": "“{key}”应为列表", "en": "'{key}' must be a list"},
    "unknown_key": {"zh": "未知的字段“{key}”", "en": "unknown key '{key}'"},
    "missing_type": {"zh": "缺少题型（type）", "en": "missing type"},
    "unknown_type": {"zh": "未知的题型“{type}”", "en": "unknown type '{type}'"},
    "unsupported_feature": {"zh": "暂不支持{feature}", "en": "{feature} is not supported"},
    "private_metadata": {
        "zh": "元数据 {fields} 不会被采集（匿名调查，保护隐私）；start、end、today 取自答卷本身的开始和提交时间",
        "en": "metadata {fields} is never collected (responses are anonymous); start, end and today come "
              "from the response's own start and submission times",
    },
    "form_id_changed": {
        "zh": "问卷编号“{value}”含有链接中不能使用的字符，已改为“{fixed}”",
        "en": "form_id '{value}' has characters a link cannot carry; it is '{fixed}' here",
    },
    "media_ignored": {
        "zh": "题目和选项中的图片、音频、视频不会显示（暂不支持媒体文件），只显示文字",
        "en": "images, audio and video in labels and choices are not shown (media files are not supported); "
              "the texts are",
    },
    "bad_range": {
        "zh": "range 的参数“{value}”无效：应为 start=数字 end=数字 step=非零数字",
        "en": "invalid range parameters '{value}': expected start=number end=number step=non-zero number",
    },
    "empty_repeat": {"zh": "重复组中没有题目", "en": "the repeat has no questions"},
    "missing_name": {"zh": "缺少题目名称（name）", "en": "missing name"},
    "bad_name": {
        "zh": "名称“{name}”不合法：只能包含字母、数字、下划线、连字符和点，且须以字母或下划线开头",
        "en": "invalid name '{name}': use letters, digits, '_', '-' and '.', starting with a letter or '_'",
    },
    "duplicate_name": {
        "zh": "名称“{name}”重复（首次出现在{first}）",
        "en": "duplicate name '{name}' (first used at {first})",
    },
    "missing_label": {"zh": "缺少题目文字（label）", "en": "missing label"},
    "missing_list": {"zh": "题型“{type}”需要指定选项列表", "en": "type '{type}' needs a choice list"},
    "unknown_list": {"zh": "选项列表“{list}”不存在", "en": "choice list '{list}' does not exist"},
    "empty_list": {"zh": "选项列表“{list}”没有选项", "en": "choice list '{list}' has no choices"},
    "missing_choice_name": {"zh": "选项缺少值（name）", "en": "choice without a name"},
    "missing_choice_list_name": {"zh": "选项缺少所属列表（list_name）", "en": "choice without a list_name"},
    "duplicate_choice": {
        "zh": "选项列表“{list}”中选项值“{value}”重复",
        "en": "duplicate choice '{value}' in list '{list}'",
    },
    "missing_choice_label": {
        "zh": "选项列表“{list}”中选项“{value}”缺少文字，将显示其代码",
        "en": "choice '{value}' in list '{list}' has no label; its code is shown",
    },
    "bad_expression": {
        "zh": "{column}表达式无法解析：{detail}",
        "en": "{column} does not parse: {detail}",
    },
    "unknown_reference": {
        "zh": "{column}引用了不存在的题目“{ref}”",
        "en": "{column} refers to '{ref}', which does not exist",
    },
    "later_reference": {
        "zh": "{column}引用了排在后面的题目“{ref}”",
        "en": "{column} refers to '{ref}', which comes later",
    },
    "bare_name": {
        "zh": "{column}中的“{name}”不是题目引用（引用题目应写作 ${{{name}}}）",
        "en": "{column} uses the bare name '{name}' (refer to a question as ${{{name}}})",
    },
    "cycle": {"zh": "存在循环依赖：{path}", "en": "dependency cycle: {path}"},
    "filter_on_non_select": {
        "zh": "只有选择题可以使用 choice_filter",
        "en": "choice_filter is only allowed on select questions",
    },
    "missing_filter_column": {
        "zh": "choice_filter 使用的列“{column}”在选项列表“{list}”中不存在",
        "en": "choice_filter uses column '{column}', which list '{list}' does not have",
    },
    "missing_calculation": {"zh": "计算题缺少 calculation", "en": "calculate needs a calculation"},
    "unbalanced_group": {"zh": "分组的开始与结束不匹配", "en": "begin group and end group do not match"},
    "unclosed_group": {"zh": "分组“{name}”没有结束（end group）", "en": "group '{name}' is never closed"},
    "matrix_row": {
        "zh": "矩阵题（table-list 分组）的各行不是使用同一选项列表的单选题（{detail}），将按普通分组显示",
        "en": "the rows of this table-list group are not select_one questions on one shared list ({detail}); "
              "it is shown as a plain group",
    },
    "bad_boolean": {"zh": "“{column}”的值“{value}”不是“是/否”", "en": "'{column}' value '{value}' is not yes/no"},
    "bad_default": {"zh": "默认值“{value}”无效：{detail}", "en": "default '{value}' is invalid: {detail}"},
    "or_other_clash": {
        "zh": "or_other 会生成题目“{name}”，与已有名称冲突",
        "en": "or_other creates question '{name}', which clashes with an existing name",
    },
    "bad_sampling": {
        "zh": "抽样方式“{value}”无效，应为：{allowed}",
        "en": "sampling '{value}' is invalid; expected one of: {allowed}",
    },
    "duplicate_channel": {"zh": "渠道代码“{code}”重复", "en": "duplicate channel code '{code}'"},
    "bad_channel": {"zh": "渠道缺少代码或名称", "en": "a channel needs a code and a label"},
    "bad_form_id": {"zh": "问卷编号“{value}”不合法", "en": "invalid form_id '{value}'"},
    "no_questions": {"zh": "问卷中没有题目", "en": "the questionnaire has no questions"},
    # Errors in a submitted answer.
    "answers_not_object": {"zh": "答案应为一个对象", "en": "answers must be an object"},
    "unknown_question": {"zh": "问卷中没有这道题", "en": "there is no such question"},
    "not_answerable": {"zh": "这道题不需要作答", "en": "this item takes no answer"},
    "required": {"zh": "此题为必答题", "en": "this question is required"},
    "not_relevant": {
        "zh": "根据前面的回答，这道题不应作答",
        "en": "given the earlier answers this question should not be answered",
    },
    "expected_text": {"zh": "应填写文字", "en": "expected text"},
    "too_long": {"zh": "最多{limit}个字，当前{length}个字", "en": "at most {limit} characters, got {length}"},
    "expected_integer": {"zh": "请输入整数", "en": "enter a whole number"},
    "expected_number": {"zh": "请输入数字", "en": "enter a number"},
    "expected_date": {"zh": "请输入有效日期（年-月-日）", "en": "enter a valid date (YYYY-MM-DD)"},
    "expected_time": {"zh": "请输入有效时间（时:分）", "en": "enter a valid time (HH:MM)"},
    "expected_datetime": {"zh": "请输入有效的日期和时间", "en": "enter a valid date and time"},
    "out_of_range": {
        "zh": "请在{start}到{end}之间选择（间隔{step}）",
        "en": "choose a value from {start} to {end} in steps of {step}",
    },
    "expected_choice": {"zh": "请选择一个选项", "en": "choose one option"},
    "expected_choices": {"zh": "请选择选项（列表）", "en": "expected a list of options"},
    "invalid_choice": {"zh": "选项“{value}”无效", "en": "'{value}' is not an option here"},
    "duplicate_selection": {"zh": "选项“{value}”重复", "en": "'{value}' is selected twice"},
    "exclusive_choice": {
        "zh": "选择“{label}”时不能再选其他选项",
        "en": "'{label}' cannot be combined with other options",
    },
    "expected_ranking": {
        "zh": "请对全部选项排序（每项一次）",
        "en": "rank every option exactly once",
    },
    "expected_acknowledge": {"zh": "请勾选确认", "en": "tick the box to confirm"},
    "constraint": {"zh": "答案不符合要求", "en": "the answer is not allowed"},
    "entry_error": {"zh": "第{number}条{label}：{message}", "en": "{label} entry {number}: {message}"},
    "expected_entries": {"zh": "应为条目列表", "en": "expected a list of entries"},
    "wrong_entry_count": {
        "zh": "应填写{expected}条，实际{given}条",
        "en": "{expected} entries are expected, {given} were given",
    },
    "unknown_channel": {"zh": "渠道“{value}”不存在", "en": "there is no channel '{value}'"},
    "bad_frame_size": {
        "zh": "study.frame_size“{value}”应为正整数（抽样框中的单位数）",
        "en": "study.frame_size '{value}' must be a positive whole number (units in the sampling frame)",
    },
    # Problems in an analysis plan (<form>.analysis.yaml).
    "plan_form_mismatch": {
        "zh": "分析方案属于问卷“{plan}”，而不是“{form}”",
        "en": "the analysis plan is for questionnaire '{plan}', not '{form}'",
    },
    "plan_missing_key": {"zh": "缺少“{key}”", "en": "'{key}' is missing"},
    "plan_bad_value": {"zh": "“{key}”的值“{value}”无效：{reason}", "en": "invalid '{key}' value '{value}': {reason}"},
    "plan_unknown_question": {"zh": "问卷中没有题目“{name}”", "en": "the questionnaire has no question '{name}'"},
    "plan_unknown_code": {
        "zh": "题目“{name}”没有选项值“{value}”",
        "en": "question '{name}' has no choice '{value}'",
    },
    "plan_wrong_type": {
        "zh": "题目“{name}”的题型“{type}”不能用于“{kind}”指标",
        "en": "question '{name}' of type '{type}' cannot feed a '{kind}' indicator",
    },
    "plan_unknown_indicator": {"zh": "没有名为“{name}”的指标", "en": "there is no indicator '{name}'"},
    "plan_duplicate": {"zh": "名称“{name}”重复", "en": "duplicate name '{name}'"},
    "plan_bad_dates": {
        "zh": "起止日期无效：应为 年-月-日，且结束不早于开始",
        "en": "invalid dates: use YYYY-MM-DD, with the end on or after the start",
    },
    "plan_overlapping_waves": {
        "zh": "调查期“{name}”与“{other}”时间重叠",
        "en": "wave '{name}' overlaps wave '{other}'",
    },
    # Errors of a whole request.
    "not_found": {"zh": "问卷不存在", "en": "no such questionnaire"},
    "closed": {"zh": "问卷已关闭，不再接受回答", "en": "the questionnaire is closed"},
    "not_yet_open": {"zh": "问卷尚未开放", "en": "the questionnaire is not open yet"},
    "rate_limited": {"zh": "提交过于频繁，请稍后再试", "en": "too many submissions; please try again later"},
    "field_worker_only": {"zh": "入户访问模式需要先登录", "en": "interview mode needs a signed-in field worker"},
    "key_reused": {
        "zh": "该提交编号已用于另一份不同的答卷",
        "en": "this Idempotency-Key was already used for different answers",
    },
    "bad_json": {"zh": "请求内容不是有效的 JSON", "en": "the request body is not valid JSON"},
    "bad_body": {"zh": "请求内容格式不正确：{detail}", "en": "the request body is malformed: {detail}"},
    "too_large": {"zh": "请求内容过大（上限 {limit} 字节）", "en": "the request body is too large (limit {limit} bytes)"},
    "researchers_only": {"zh": "只有研究人员可以查看答卷", "en": "only researchers can read responses"},
    "login_required": {"zh": "请先登录或提供 API 令牌", "en": "log in or send an API token"},
    "http_error": {"zh": "请求错误", "en": "bad request"},
}


# Features of XLSForm this platform refuses, named in "暂不支持…" problems.
FEATURES: dict[str, dict[str, str]] = {
    "image": {"zh": "图片/拍照题（image）", "en": "image and photo questions (image)"},
    "audio": {"zh": "录音题（audio）", "en": "audio questions (audio)"},
    "video": {"zh": "视频题（video）", "en": "video questions (video)"},
    "file": {"zh": "文件上传题（file）", "en": "file uploads (file)"},
    "background-audio": {"zh": "后台录音（background-audio）", "en": "background audio recording (background-audio)"},
    "barcode": {"zh": "扫码题（barcode）", "en": "barcode questions (barcode)"},
    "geopoint": {"zh": "定位题（geopoint）", "en": "location questions (geopoint)"},
    "geotrace": {"zh": "轨迹题（geotrace）", "en": "line questions (geotrace)"},
    "geoshape": {"zh": "区域题（geoshape）", "en": "area questions (geoshape)"},
    "osm": {"zh": "地图标注题（osm）", "en": "OpenStreetMap questions (osm)"},
    "select_one_from_file": {"zh": "从外部文件读取选项（select_one_from_file）",
                             "en": "choices from a file (select_one_from_file)"},
    "select_multiple_from_file": {"zh": "从外部文件读取选项（select_multiple_from_file）",
                                  "en": "choices from a file (select_multiple_from_file)"},
    "rank_from_file": {"zh": "从外部文件读取选项（rank_from_file）", "en": "choices from a file"},
    "select_one_external": {"zh": "外部选项表（select_one_external）",
                            "en": "external choices (select_one_external)"},
    "xml-external": {"zh": "外部数据文件（xml-external）", "en": "external data files (xml-external)"},
    "csv-external": {"zh": "外部数据文件（csv-external）", "en": "external data files (csv-external)"},
    "entities": {"zh": "实体（entities 工作表）", "en": "entities (the entities sheet)"},
    "pulldata": {"zh": "外部数据函数 pulldata()", "en": "the external-data function pulldata()"},
    "search": {"zh": "外部数据查询 search()", "en": "external-data search()"},
    "include": {"zh": "引用其他表单（include）", "en": "including other forms (include)"},
    "nested_repeat": {"zh": "嵌套的重复组（repeat 中再套 repeat）", "en": "a repeat inside a repeat"},
}


def message(code: str, language: str | None = None, /, **params: object) -> str:
    """The text of message ``code`` in ``language`` (Chinese when unknown).

    Positional-only, so that a message may have a parameter called ``code``
    (the duplicate channel code, for one).
    """
    texts = MESSAGES[code]
    text = texts.get(language or DEFAULT_LANGUAGE) or texts[DEFAULT_LANGUAGE]
    return text.format(**params)


def pick(texts: Mapping[str, str] | None, language: str | None = None) -> str:
    """The text in ``language`` from a {language: text} mapping, falling back sensibly."""
    if not texts:
        return ""
    for key in (language, DEFAULT_LANGUAGE, "default"):
        if key and texts.get(key):
            return texts[key]
    return next(iter(texts.values()))
