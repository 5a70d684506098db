"""Table rows as lines of text: each figure after its column header, so that a row is one unit that still says
what its numbers count (``主动公开 | 规章 | 本年制发件数 | 3 | 本年废止件数 | 0``). Used by the .docx and PDF
readers."""

from __future__ import annotations

import re

__all__ = ["CELL_SEPARATOR", "table_lines", "is_figure", "is_table_row"]

# Between the cells of a table row read as one line; the segmenter knows a row by it (is_table_row).
CELL_SEPARATOR = " | "

_FIGURE = re.compile(r"[-+]?\d[\d,，.]*\s*(?:%|％|件|万元|亿元|元|个|人次|人|次|项|条|份|天|日)?")


def _distinct(cells: list[str]) -> list[str]:
    """The cells of a row without the copies a merged cell repeats in each column it spans, nor empty ones."""
    out: list[str] = []
    for c in cells:
        if c and (not out or out[-1] != c):
            out.append(c)
    return out


def table_lines(rows: list[list[str]]) -> list[str]:
    """Table rows (cell texts by column, merged cells repeated) as lines: figures after their column headers
    where the first row heads columns of figures, else the distinct cells of each row."""
    rows = [r for r in rows if any(r)]
    figures = len(rows) >= 2 and any(_FIGURE.fullmatch(c) for r in rows[1:] for c in r)
    if not figures or any(_FIGURE.fullmatch(c) for c in rows[0]):
        return [" ".join(_distinct(r)) for r in rows if _distinct(r)]
    header = rows[0]
    lines = [CELL_SEPARATOR.join(_distinct(header))]
    for row in rows[1:]:
        labels: list[str] = []
        pairs: list[str] = []
        for j, cell in enumerate(row):
            if not cell or (j > 0 and row[j - 1] == cell and not _FIGURE.fullmatch(cell)):
                continue  # empty, or a merged label spanning columns
            head = header[j] if j < len(header) else ""
            if _FIGURE.fullmatch(cell) and head and head not in labels:
                pairs += [head, cell]
            else:
                labels.append(cell)
        if labels or pairs:
            lines.append(CELL_SEPARATOR.join(labels + pairs))
    return lines


def is_table_row(line: str) -> bool:
    """A line the readers made of a row of a table of figures: cells joined by CELL_SEPARATOR, the last a figure
    ('主动公开 | 规章 | 本年制发件数 | 3'). A menu bar of links ('首页 | 政务公开 | …') ends in no figure."""
    cells = line.strip().split(CELL_SEPARATOR)
    return len(cells) >= 2 and all(c.strip() for c in cells) and is_figure(cells[-1].strip())


def is_figure(cell: str) -> bool:
    """A cell that holds a count or amount ('3', '1,260件', '93.5%')."""
    return bool(_FIGURE.fullmatch(cell))


def figure_table_rows(table) -> list[str] | None:
    """The lines of an HTML <table> (a BeautifulSoup element) that is a table of figures, by table_lines; None
    for any other table (a layout table holding paragraphs, nested tables, or one without figures), which the
    HTML reader reads as before. colspan and rowspan repeat a cell over the columns and rows it spans."""
    if table.find(["table", "p", "div", "br", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"]) is not None:
        return None
    grid: list[list[str]] = []
    carry: dict[int, tuple[str, int]] = {}  # column → (text, rows still to fill) from a rowspan above
    for tr in table.find_all("tr"):
        row: list[str] = []
        cells = tr.find_all(["td", "th"], recursive=False)
        while cells or len(row) in carry:
            col = len(row)
            if col in carry:
                text, left = carry[col]
                row.append(text)
                carry[col] = (text, left - 1)
                if left <= 1:
                    del carry[col]
                continue
            cell = cells.pop(0)
            text = " ".join(cell.get_text(" ").split())
            span = _span(cell.get("colspan"))
            down = _span(cell.get("rowspan"))
            for _ in range(span):
                if down > 1:
                    carry[len(row)] = (text, down - 1)
                row.append(text)
        grid.append(row)
    if len(grid) < 2 or not any(is_figure(c) for r in grid[1:] for c in r) or any(is_figure(c) for c in grid[0]):
        return None
    return table_lines(grid)


def _span(value) -> int:
    try:
        return max(1, min(50, int(str(value)))) if value else 1
    except ValueError:
        return 1
