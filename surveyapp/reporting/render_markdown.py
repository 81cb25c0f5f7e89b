"""The report as Markdown: headings with their labels, pipe tables, figures as image references.

Figures cannot live inside a Markdown file: ``render_markdown`` returns the text and the
PNG files it refers to (``figures/图1.png`` …), which the caller writes beside it.
"""

from __future__ import annotations

from surveyapp.reporting.document import Figure, ItemList, Paragraph, Report, Section, Table, provenance_rows


def render_markdown(report: Report, figure_dir: str = "figures") -> tuple[str, dict[str, bytes]]:
    """(Markdown text, {relative path: PNG bytes})."""
    lines = [f"# {report.title}", ""]
    if report.subtitle:
        lines += [f"**{report.subtitle}**", ""]
    files: dict[str, bytes] = {}
    for block in report.preface:
        lines += _block(block, figure_dir, files)
    for section in report.sections + report.appendices:
        lines += _section(section, 2, figure_dir, files)
    lines += ["---", "", _provenance(report), ""]
    return "\n".join(lines), files


def _section(section: Section, level: int, figure_dir: str, files: dict[str, bytes]) -> list[str]:
    separator = " " if section.label.startswith("附件") else ""
    lines = [f"{'#' * min(level, 6)} {section.label}{separator}{section.title}", ""]
    for block in section.blocks:
        lines += _block(block, figure_dir, files)
    for child in section.children:
        lines += _section(child, level + 1, figure_dir, files)
    return lines


def _block(block, figure_dir: str, files: dict[str, bytes]) -> list[str]:
    if isinstance(block, Paragraph):
        return [f"*{block.text}*" if block.kind == "note" else block.text, ""]
    if isinstance(block, ItemList):
        return [(f"{i}. " if block.ordered and not item[:1].isdigit() else "- ") + item
                for i, item in enumerate(block.items, 1)] + [""]
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        path = f"{figure_dir}/{block.label}.png"
        files[path] = block.png
        return [f"![{block.alt}]({path})", "", f"{block.label} {block.caption}", ""]
    raise TypeError(f"unknown block {type(block).__name__}")


def _table(table: Table) -> list[str]:
    def row(cells) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    numeric = table.numeric or (False,) * len(table.header)
    rule = "| " + " | ".join("---:" if right else "---" for right in numeric) + " |"
    lines = [f"{table.label} {table.caption}", "", row(table.header), rule, *(row(r) for r in table.rows), ""]
    return lines + [f"{note}" for note in table.notes] + ([""] if table.notes else [])


def _provenance(report: Report) -> str:
    return "数据与生成信息：" + "；".join(f"{label} {value}" for label, value in provenance_rows(report.meta))
