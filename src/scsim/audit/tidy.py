"""The tidy metric table the audit and the paired comparison both answer with.

Kept free of numpy and pyarrow imports: the command line loads it on start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

ALL = "all"  # the grouping (and group) of the whole population


@dataclass
class TidyTable:
    """A tidy metric table (metric, category, group_by, group, …) and its row lookups; the
    audit and the paired comparison both answer with one."""

    table: pa.Table

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
