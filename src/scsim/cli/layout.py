"""Layouts that fit the terminal without cutting a name: a table of labelled rows that folds into
one record per label when it does not fit, and notes wrapped under their own text."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

INDENT = 4  # a record's cells, under its label (which is indented by 2)


def needed_width(renderable: RenderableType) -> int:
    """The width ``renderable`` needs to show every cell whole, on one line."""
    unbounded = Console(width=1 << 16, file=io.StringIO())
    return Measurement.get(unbounded, unbounded.options, renderable).maximum


def labelled_rows(
    title: str,
    label: str,
    headers: Sequence[str],
    rows: Sequence[tuple[str, Sequence[str]]],
    width: int,
    *,
    left: Iterable[int] = (),
    caption: str | None = None,
) -> RenderableType:
    """``rows`` of (label, cells) as a table with the label first when it fits ``width`` on one
    line each; otherwise, under a header line, each label on its own line (wrapped at spaces)
    with its rows' cells aligned beneath it. Cells are rich markup; a label is plain text and
    is shown once for consecutive rows that share it. ``left``: cell columns read left-aligned."""
    left = set(left)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column(label, no_wrap=True)
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i in left else "right", no_wrap=True)
    previous = None
    for name, cells in rows:
        table.add_row(Text(name if name != previous else ""), *cells)
        previous = name
    if caption:
        table.caption, table.caption_justify = caption, "left"
    if needed_width(table) <= width:
        return table
    return _records(title, headers, rows, left, caption)


def _records(
    title: str,
    headers: Sequence[str],
    rows: Sequence[tuple[str, Sequence[str]]],
    left: set[int],
    caption: str | None,
) -> RenderableType:
    texts = [(name, [Text.from_markup(c) for c in cells]) for name, cells in rows]
    widths = [
        max([len(h), *(cells[i].cell_len for _, cells in texts)]) for i, h in enumerate(headers)
    ]

    def line(cells: Sequence[Text], style: str = "") -> Text:
        out = Text(" " * INDENT, style=style)
        for i, (cell, w) in enumerate(zip(cells, widths, strict=True)):
            pad = " " * (w - cell.cell_len)
            out.append_text(Text.assemble(cell, pad) if i in left else Text.assemble(pad, cell))
            if i < len(widths) - 1:
                out.append("  ")
        out.no_wrap, out.overflow = True, "ignore"
        return out

    parts: list[RenderableType] = [Text(title, style="table.title"), Text()]
    parts.append(line([Text(h) for h in headers], style="bold"))
    previous = None
    for name, cells in texts:
        if name != previous:
            parts.append(Padding(Text(name, style="bold"), (0, 0, 0, 2)))
        parts.append(line(cells))
        previous = name
    if caption:
        parts.append(Text(caption, style="table.caption"))
    parts.append(Text())
    return Group(*parts)


def notes(lines: Iterable[str]) -> Table:
    """Notes, one a row, each wrapped at spaces under its own text after "note:"."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(style="dim")
    for note in lines:
        grid.add_row("note:", Text(note))
    return grid
