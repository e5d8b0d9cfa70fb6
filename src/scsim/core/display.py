"""How scsim's objects show themselves in a notebook: small escaped HTML tables and pandas frames
with real dates.

A ``_repr_html_`` is a summary (a few key–value rows, or the first rows of a table), never the
whole data; every text that goes into it is escaped. Kept free of numpy, pyarrow and pandas
imports at module level (the ground floor, loaded on the command line's start).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

PREVIEW_ROWS = 8  # rows of a table shown in its HTML summary


def html_fields(title: str, fields: Iterable[tuple[str, Any]]) -> str:
    """A two-column HTML table (name, value) under a bold title, every text escaped."""
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(name))}</th>"
        f"<td style='text-align:left'>{html.escape(str(value))}</td></tr>"
        for name, value in fields
    )
    return f"<div><strong>{html.escape(title)}</strong><table>{rows}</table></div>"


def html_preview(
    title: str,
    fields: Iterable[tuple[str, Any]],
    table: pa.Table | None,
    rows: int = PREVIEW_ROWS,
) -> str:
    """:func:`html_fields`, then the first ``rows`` rows of ``table`` and how many there are."""
    head = html_fields(title, fields)
    if table is None:
        return head
    names = table.column_names
    shown = table.slice(0, rows).to_pylist()
    header = "".join(f"<th>{html.escape(name)}</th>" for name in names)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(r[name]))}</td>" for name in names) + "</tr>"
        for r in shown
    )
    more = table.num_rows - len(shown)
    foot = f"<p>… {more:,} more rows (.to_pandas() for all {table.num_rows:,})</p>" if more else ""
    return f"{head}<table><tr>{header}</tr>{body}</table>{foot}"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def to_pandas(table: pa.Table) -> Any:
    """An Arrow table as a pandas DataFrame, date columns as pandas datetimes (not objects)."""
    return table.to_pandas(date_as_object=False)


def listing(items: Sequence[str], limit: int = 3) -> str:
    """``a, b, c`` or ``a, b, c, +2 more``: a list short enough for a one-line repr."""
    shown = ", ".join(items[:limit])
    return shown + (f", +{len(items) - limit} more" if len(items) > limit else "")
