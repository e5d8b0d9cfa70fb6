"""The tidy metric table the audit and the paired comparison both answer with: one shape (a
table with metric, category, group_by and group columns, notes, info) and one set of verbs
(``overall``, ``by_group``, ``rows``, ``row``, ``value``, ``to_csv``, ``to_dict``, ``to_json``,
``to_arrow``, ``to_pandas``), a one-line repr and a small HTML summary for notebooks.

Kept free of numpy and pyarrow imports: the command line loads it on start-up.
"""

from __future__ import annotations

import io
import json
import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from scsim.core.display import html_preview, to_pandas

if TYPE_CHECKING:
    import pyarrow as pa

ALL = "all"  # the grouping (and group) of the whole population


@dataclass
class TidyTable:
    """A tidy metric table (metric, category, group_by, group, …) and its row lookups; the
    audit and the paired comparison both answer with one."""

    table: pa.Table
    notes: list[str] = field(default_factory=list, kw_only=True)
    info: dict[str, Any] = field(default_factory=dict, kw_only=True)

    VALUE: ClassVar[str] = "value"  # the column that :meth:`value` reads
    COLUMNS: ClassVar[tuple[str, ...]] = ()

    def __len__(self) -> int:
        return self.table.num_rows

    def rows(
        self,
        metric: str | None = None,
        *,
        group_by: str | None = None,
        category: str | None = None,
    ) -> list[dict[str, Any]]:
        """The rows as dicts, optionally only one metric, grouping and/or category."""
        return [
            r
            for r in self.table.to_pylist()
            if (metric is None or r["metric"] == metric)
            and (group_by is None or r["group_by"] == group_by)
            and (category is None or r["category"] == category)
        ]

    def row(
        self, metric: str, group: str = ALL, *, group_by: str | None = None, category: str = ""
    ) -> dict[str, Any]:
        """One row; KeyError if the table has no such row."""
        for r in self.rows(metric, group_by=group_by, category=category):
            if r["group"] == group:
                return r
        raise KeyError((metric, category, group_by, group))

    def value(
        self, metric: str, group: str = ALL, *, group_by: str | None = None, category: str = ""
    ) -> float:
        """One row's value (an audit's value, a comparison's paired difference B − A);
        KeyError if the table has no such row."""
        return self.row(metric, group, group_by=group_by, category=category)[self.VALUE]

    @property
    def overall(self) -> pa.Table:
        """The rows of the whole population."""
        return self.by_group(ALL)

    def by_group(self, grouping: str) -> pa.Table:
        """The rows of one grouping (``"hukou"``, …; ``"all"`` for the whole population)."""
        import pyarrow.compute as pc

        return self.table.filter(pc.equal(self.table.column("group_by"), grouping))

    def to_csv(self, file: str | os.PathLike[str] | io.IOBase | None = None) -> str | None:
        """The table as CSV (to ``file``, or returned as text)."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        if file is None:
            sink = pa.BufferOutputStream()
            pacsv.write_csv(self.table, sink)
            return sink.getvalue().to_pybytes().decode()
        pacsv.write_csv(self.table, file)
        return None

    def records(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready dicts (NaN and infinities as None)."""
        return [{k: json_value(v) for k, v in r.items()} for r in self.table.to_pylist()]

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready data (NaN as None)."""
        return {**self.info, "columns": list(self.COLUMNS), "notes": list(self.notes),
                "metrics": self.records()}  # fmt: skip

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_arrow(self) -> pa.Table:
        """The table as Arrow (the same as ``.table``)."""
        return self.table

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame (pandas is needed)."""
        return to_pandas(self.table)

    # How it shows itself: one line, and in a notebook a few facts and the first rows.

    KIND: ClassVar[str] = "table"  # what the repr calls it

    def describe(self) -> list[tuple[str, Any]]:
        """A few (name, value) facts about the table for its summary."""
        return []

    def __repr__(self) -> str:
        metrics = len(set(self.table.column("metric").to_pylist())) if len(self) else 0
        facts = ", ".join(f"{name}={value}" for name, value in self.describe()[:3])
        return (
            f"{type(self).__name__}({len(self):,} rows, {metrics} metrics"
            + (f", {facts}" if facts else "")
            + ")"
        )

    def _repr_html_(self) -> str:
        facts = [*self.describe(), ("rows", f"{len(self):,}")]
        if self.notes:
            facts.append(("notes", f"{len(self.notes)} (.notes)"))
        return html_preview(type(self).__name__, facts, self.overall)


def json_value(value: Any) -> Any:
    """A value for JSON: NaN and infinities as None."""
    return None if isinstance(value, float) and not math.isfinite(value) else value
