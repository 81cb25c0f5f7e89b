"""Render a ``Report`` as a Word document (.docx) laid out after GB/T 9704-2012.

The document uses real Word styles, so an office can restyle or edit it: Title and
Subtitle, Heading 1-4 for section depths (appendices are level-1 headings "附件1 …"),
Normal for body text, Lead for the preface, List Paragraph for enumerated points,
Caption for "表1 …" (above its table) and "图1 …" (below its figure), Table Text for
cells and Note for table notes and ``Paragraph(kind="note")``. Tables are real Word
tables drawn as 三线表 with a header row that repeats on every page.

Fonts: each style names the official face (``FONTS``: 仿宋_GB2312 body, 黑体 /
楷体_GB2312 / 仿宋_GB2312 headings, 方正小标宋简体 title) in all of its ascii, hAnsi
and eastAsia slots, and theme fonts are removed. python-docx cannot embed fonts:
where a face is missing, Word substitutes its own choice, and LibreOffice on Linux asks
fontconfig, which gives Noto Sans CJK SC (the language is zh-CN) with DejaVu Sans for
digits and Latin, unless the aliases of ``fontconfig_conf()`` (official name -> the Noto
CJK face in ``FONTS``, serif for 仿宋/楷体/宋体/小标宋, sans for 黑体) are installed.

The output is deterministic: core properties get a fixed date (``meta["generated_at"]``
or 2000-01-01) and the zip is re-packed with fixed timestamps, so the same report
gives the same bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timezone

import docx
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from surveyapp.reporting.document import Figure, ItemList, Paragraph, Report, Section, Table, provenance_rows

__all__ = ["FONTS", "render_docx", "fontconfig_conf"]

# role -> (official face named in the document, open face it falls back to on Linux via fontconfig_conf())
FONTS: dict[str, tuple[str, str]] = {
    "title": ("方正小标宋简体", "Noto Serif CJK SC"),
    "subtitle": ("楷体_GB2312", "Noto Serif CJK SC"),
    "heading1": ("黑体", "Noto Sans CJK SC"),
    "heading2": ("楷体_GB2312", "Noto Serif CJK SC"),
    "heading3": ("仿宋_GB2312", "Noto Serif CJK SC"),
    "heading4": ("仿宋_GB2312", "Noto Serif CJK SC"),
    "body": ("仿宋_GB2312", "Noto Serif CJK SC"),
    "caption": ("黑体", "Noto Sans CJK SC"),
    "table": ("仿宋_GB2312", "Noto Serif CJK SC"),
    "note": ("仿宋_GB2312", "Noto Serif CJK SC"),
    "page_number": ("宋体", "Noto Serif CJK SC"),
}

BODY_PT = 16          # 3号
TITLE_PT = 22         # 2号
LINE_PT = 28          # fixed line spacing: about 22 lines on an A4 page with these margins
FIXED_DATE = datetime(2000, 1, 1)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
BLACK = RGBColor(0, 0, 0)

# style name -> (font role, size pt, bold, alignment, first-line indent in characters, fixed line pt or None)
STYLES = {
    "Normal": ("body", BODY_PT, False, WD_ALIGN_PARAGRAPH.JUSTIFY, 2, LINE_PT),
    "Title": ("title", TITLE_PT, False, WD_ALIGN_PARAGRAPH.CENTER, 0, 36),
    "Subtitle": ("subtitle", BODY_PT, False, WD_ALIGN_PARAGRAPH.CENTER, 0, LINE_PT),
    "Heading 1": ("heading1", BODY_PT, False, WD_ALIGN_PARAGRAPH.LEFT, 2, LINE_PT),
    "Heading 2": ("heading2", BODY_PT, False, WD_ALIGN_PARAGRAPH.LEFT, 2, LINE_PT),
    "Heading 3": ("heading3", BODY_PT, True, WD_ALIGN_PARAGRAPH.LEFT, 2, LINE_PT),
    "Heading 4": ("heading4", BODY_PT, False, WD_ALIGN_PARAGRAPH.LEFT, 2, LINE_PT),
    "Lead": ("body", BODY_PT, False, WD_ALIGN_PARAGRAPH.JUSTIFY, 2, LINE_PT),
    "List Paragraph": ("body", BODY_PT, False, WD_ALIGN_PARAGRAPH.JUSTIFY, 2, LINE_PT),
    "Caption": ("caption", 14, False, WD_ALIGN_PARAGRAPH.CENTER, 0, LINE_PT),
    "Table Text": ("table", 12, False, WD_ALIGN_PARAGRAPH.CENTER, 0, None),
    "Note": ("note", 12, False, WD_ALIGN_PARAGRAPH.JUSTIFY, 0, 20),
    "Footer": ("page_number", 14, False, WD_ALIGN_PARAGRAPH.CENTER, 0, None),
}
THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def render_docx(report: Report) -> bytes:
    """The report as .docx bytes (same report, same bytes)."""
    document = docx.Document()
    _setup_styles(document)
    _setup_page(document)
    _set_properties(document, report)

    document.add_paragraph(report.title, style="Title")
    if report.subtitle:
        document.add_paragraph(report.subtitle, style="Subtitle")
    for block in report.preface:
        _add_block(document, block, lead=True)
    for section in report.sections:
        _add_section(document, section, depth=1)
    for line in (report.organisation, report.date):
        if line:
            paragraph = document.add_paragraph(line)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            paragraph.paragraph_format.right_indent = Pt(4 * BODY_PT)   # 右空四字
    for index, appendix in enumerate(report.appendices):
        _add_section(document, appendix, depth=1, new_page=index == 0)
    fallbacks = "；".join(dict.fromkeys(f"{official}（缺失时用{fallback}）" for official, fallback in FONTS.values()))
    rows = provenance_rows({"fonts": fallbacks, **report.meta})
    if rows:
        document.add_paragraph("数据与生成信息：" + "；".join(f"{label} {value}" for label, value in rows), style="Note")

    buffer = io.BytesIO()
    document.save(buffer)
    return _repack(buffer.getvalue())


def fontconfig_conf() -> str:
    """A fonts.conf that maps the official faces to their open fallbacks (for LibreOffice on Linux)."""
    aliases = sorted({official: fallback for official, fallback in FONTS.values()}.items())
    lines = [f'  <alias binding="same"><family>{official}</family><prefer><family>{fallback}</family></prefer></alias>'
             for official, fallback in aliases]
    head = ['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">', "<fontconfig>",
            '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>']
    return "\n".join(head + lines + ["</fontconfig>", ""])


# -- blocks ------------------------------------------------------------------------------------------------------


def _add_section(document, section: Section, depth: int, new_page: bool = False) -> None:
    label = section.label
    text = f"{label}{'' if not label or label[-1] in '、）.．' else ' '}{section.title}"
    heading = document.add_paragraph(text, style=f"Heading {min(depth, 4)}")
    heading.paragraph_format.page_break_before = new_page or None
    for block in section.blocks:
        _add_block(document, block)
    for child in section.children:
        _add_section(document, child, depth + 1)


def _add_block(document, block, lead: bool = False) -> None:
    if isinstance(block, Paragraph):
        style = {"note": "Note", "lead": "Lead"}.get(block.kind, "Lead" if lead else "Normal")
        document.add_paragraph(block.text, style=style)
    elif isinstance(block, ItemList):
        for item in block.items:          # already worded "一是……；二是……"
            document.add_paragraph(item, style="List Paragraph")
    elif isinstance(block, Table):
        _add_table(document, block)
    elif isinstance(block, Figure):
        _add_figure(document, block)
    else:
        raise TypeError(f"unknown block {type(block).__name__}")


def _add_table(document, table: Table) -> None:
    caption = document.add_paragraph(f"{table.label} {table.caption}", style="Caption")
    caption.paragraph_format.keep_with_next = True
    grid = document.add_table(rows=1 + len(table.rows), cols=len(table.header))
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    _borders(grid._tbl.tblPr, "w:tblBorders", top=12, bottom=12, left=0, right=0, insideH=0, insideV=0)
    for r, values in enumerate((table.header, *table.rows)):
        row = grid.rows[r]
        trPr = row._tr.get_or_add_trPr()
        trPr.append(OxmlElement("w:cantSplit"))
        if r == 0:
            trPr.append(OxmlElement("w:tblHeader"))    # repeat the header row after a page break
        for c, value in enumerate(values):
            cell = row.cells[c]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.style = document.styles["Table Text"]
            if c < len(table.numeric) and table.numeric[c]:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            elif c == 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
            run = paragraph.add_run(value)
            run.bold = r == 0 or None
            if r == 0:
                _borders(cell._tc.get_or_add_tcPr(), "w:tcBorders", bottom=6)   # the middle line, 0.75 pt
    for note in table.notes:
        document.add_paragraph(note, style="Note")


def _add_figure(document, figure: Figure) -> None:
    section = document.sections[-1]
    text_width = section.page_width - section.left_margin - section.right_margin
    document.add_picture(io.BytesIO(figure.png), width=min(Mm(figure.width_cm * 10), text_width))
    paragraph = document.paragraphs[-1]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    form = paragraph.paragraph_format
    form.first_line_indent, form.line_spacing_rule, form.keep_with_next = Pt(0), WD_LINE_SPACING.SINGLE, True
    form.element.pPr.get_or_add_ind().set(qn("w:firstLineChars"), "0")
    doc_pr = paragraph._p.xpath(".//wp:docPr")[0]
    doc_pr.set("descr", figure.alt)      # alt text for screen readers
    document.add_paragraph(f"{figure.label} {figure.caption}", style="Caption")


def _borders(parent, tag: str, **sizes: int) -> None:
    """Add <tag> with one child per side given: size in eighths of a point, 0 for no line."""
    element = OxmlElement(tag)
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        if side in sizes:
            line = {"w:val": "single", "w:sz": str(sizes[side]), "w:space": "0", "w:color": "000000"}
            attrs = line if sizes[side] else {"w:val": "nil"}
            element.append(OxmlElement(f"w:{side}", attrs={qn(k): v for k, v in attrs.items()}))
    successors = {"w:tblBorders": ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook"),
                  "w:tcBorders": ("w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign")}
    parent.insert_element_before(element, *successors[tag])


# -- styles, page, properties ------------------------------------------------------------------------------------


def _setup_styles(document) -> None:
    styles = document.styles
    for name, base in (("Lead", "Normal"), ("Table Text", "Normal"), ("Note", "Normal")):
        if name not in [s.name for s in styles]:
            styles.add_style(name, 1).base_style = styles[base]     # 1 = WD_STYLE_TYPE.PARAGRAPH
    for name, (role, size, bold, align, indent_chars, line) in STYLES.items():
        style = styles[name]
        _set_font(style.element, FONTS[role][0])
        font = style.font
        font.size, font.bold, font.italic, font.color.rgb = Pt(size), bold, False, BLACK
        form = style.paragraph_format
        form.alignment, form.space_before, form.space_after = align, Pt(0), Pt(0)
        form.first_line_indent, form.left_indent = Pt(indent_chars * size), Pt(0)
        form.element.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), str(indent_chars * 100))
        if line:
            form.line_spacing_rule, form.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(line)
        else:
            form.line_spacing_rule = WD_LINE_SPACING.SINGLE
        pPr = style.element.pPr
        for tag in ("w:pBdr", "w:numPr", "w:contextualSpacing"):   # Title's rule, Subtitle's stray numbering
            for child in pPr.findall(qn(tag)):
                pPr.remove(child)
    for name in ("Caption", "Heading 1", "Heading 2", "Heading 3", "Heading 4"):
        styles[name].paragraph_format.keep_with_next = True
    styles["Subtitle"].paragraph_format.space_after = Pt(LINE_PT)        # a blank line before the text
    cell = styles["Table Text"].paragraph_format
    cell.space_before = cell.space_after = Pt(1.5)
    styles["Caption"].hidden = styles["Caption"].unhide_when_used = False
    styles_root = styles.element
    for rfonts in styles_root.iter(qn("w:rFonts")):               # no theme fonts anywhere (docDefaults, Char styles)
        for attribute in THEME_ATTRIBUTES:
            rfonts.attrib.pop(qn(attribute), None)
    defaults = styles_root.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_font(defaults, FONTS["body"][0])
    defaults.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    settings = document.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:eastAsia"), "zh-CN")


def _set_font(element, name: str) -> None:
    """Name the face in the ascii, hAnsi and eastAsia slots of element's rPr (element: a style or an rPr)."""
    rpr = element if element.tag == qn("w:rPr") else element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attribute in THEME_ATTRIBUTES:
        rfonts.attrib.pop(qn(attribute), None)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        rfonts.set(qn(slot), name)


def _setup_page(document) -> None:
    """A4, GB/T 9704 margins, page number "— 1 —" centred in the footer."""
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(25)
    paragraph = section.footer.paragraphs[0]
    paragraph.style = document.styles["Footer"]
    paragraph.add_run("— ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            run._r.append(OxmlElement("w:fldChar", attrs={qn("w:fldCharType"): kind}))
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText", attrs={qn("xml:space"): "preserve"})
            instr.text = text
            run._r.append(instr)
        else:
            result = OxmlElement("w:t")
            result.text = text
            run._r.append(result)
    paragraph.add_run(" —")


def _set_properties(document, report: Report) -> None:
    """Core properties, with the report's provenance as JSON in ``comments``; fixed dates for reproducibility."""
    properties = document.core_properties
    properties.title = report.title
    properties.subject = report.subtitle.lstrip("—").strip()
    properties.author = properties.last_modified_by = report.organisation or "SurveyApp"
    properties.keywords = str(report.meta.get("keywords") or "调研报告；社区治安；警务满意度")
    properties.category = "调研报告"
    # Word limits a core property to 255 characters: the key provenance only (the full record is
    # the report's 数据与生成信息 section).
    keys = ("questionnaire", "versions", "wave", "compare_with", "n_valid", "data_checksum", "software")
    provenance = {k: report.meta[k] for k in keys if report.meta.get(k) not in (None, "", [])}
    properties.comments = json.dumps(provenance, ensure_ascii=False, sort_keys=True, default=str)[:255]
    properties.created = properties.modified = _fixed_date(report.meta.get("generated_at"))
    properties.revision = 1
    package = document.part.package
    for rel_id, rel in list(package.rels.items()):     # the template's thumbnail shows a blank Mac Word page
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[rel_id]


def _fixed_date(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return FIXED_DATE
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def _repack(data: bytes) -> bytes:
    """Rewrite the zip with fixed member timestamps (python-docx stamps them with the current time)."""
    target = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(zipfile.ZipInfo(info.filename, date_time=ZIP_DATE), source.read(info.filename),
                         compress_type=zipfile.ZIP_DEFLATED)
    return target.getvalue()
