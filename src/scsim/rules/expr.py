"""A compiled scenario expression and the one function that makes it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from .evaluate import evaluate
from .ir import Node
from .parse import parse
from .types import Bool, Number, Ordinal, Type

BLOCK = 1 << 14  # elements per block when evaluating over long vectors


def _long_vector_length(values: Mapping[str, np.ndarray]) -> int | None:
    """n if every value is a scalar or a vector of one length n > BLOCK, else None."""
    lengths = {v.shape[0] for v in values.values() if v.ndim}
    if any(v.ndim > 1 for v in values.values()) or len(lengths) != 1:
        return None
    n = lengths.pop()
    return n if n > BLOCK else None


def compile_expr(
    source: str,
    *,
    variables: Mapping[str, Type],
    params: Mapping[str, float] | None = None,
    expect: Bool | Number | None = None,
) -> Expr:
    """Parse, check and compile ``source``; raises ExprError with the column of the problem.

    With ``expect=Number()`` a true/false expression is accepted and counts as 0/1.
    """
    parsed = parse(source, variables, params or {}, expect)
    return Expr(
        source=source,
        type=parsed.type,
        reads=parsed.reads,
        params_used=parsed.params_used,
        clauses=tuple(text for text, _ in parsed.clauses),
        variables={name: variables[name] for name in parsed.reads},
        ir=parsed.root,
        clause_ir=tuple(ir for _, ir in parsed.clauses),
    )


@dataclass(frozen=True, eq=False)
class Expr:
    """A type-checked expression, evaluated over whole arrays at once."""

    source: str
    type: Bool | Number
    reads: frozenset[str]
    params_used: frozenset[str]
    clauses: tuple[str, ...]
    variables: Mapping[str, Type]
    ir: Node
    clause_ir: tuple[Node, ...]

    def evaluate(self, arrays: Mapping[str, object]) -> np.ndarray:
        """Values (bool or float64) shaped like the broadcast of the arrays read (0-d if none)."""
        self._check_given(arrays)
        dtype = np.bool_ if isinstance(self.type, Bool) else np.float64
        values = {name: np.asarray(arrays[name]) for name in self.reads}
        n = _long_vector_length(values)
        with np.errstate(all="ignore"):
            if n is None:
                return np.asarray(evaluate(self.ir, values), dtype=dtype)
            # Block by block, so that every temporary stays in cache: the same values, computed
            # several times faster than whole-array passes over a large population.
            out = np.empty(n, dtype=dtype)
            for lo in range(0, n, BLOCK):
                part = {k: v[lo : lo + BLOCK] if v.ndim else v for k, v in values.items()}
                out[lo : lo + BLOCK] = evaluate(self.ir, part)
            return out

    def which_clause(self, arrays: Mapping[str, object]) -> np.ndarray:
        """The index of the first top-level `or` clause that holds (int8), -1 where none does."""
        if not isinstance(self.type, Bool):
            raise TypeError(f"which_clause needs a true/false expression: {self.source!r}")
        self._check_given(arrays)
        with np.errstate(all="ignore"):
            held = [np.asarray(evaluate(ir, arrays), dtype=np.bool_) for ir in self.clause_ir]
        out = np.full(np.broadcast_shapes(*(h.shape for h in held)), -1, dtype=np.int8)
        for index in reversed(range(len(held))):
            np.copyto(out, np.int8(index), where=held[index])
        return out

    def table(self, domains: Mapping[str, Iterable]) -> tuple[tuple[str, ...], np.ndarray]:
        """Evaluate on every combination of the domains of the variables read, one axis each.

        Axes follow the order of ``domains``; an ordinal's domain may give codes or level names.
        """
        names, grid, shape = self._grid(domains)
        return names, np.broadcast_to(self.evaluate(grid), shape).copy()

    def clause_table(self, domains: Mapping[str, Iterable]) -> tuple[tuple[str, ...], np.ndarray]:
        """Like table, holding which_clause (int8) instead of the value."""
        names, grid, shape = self._grid(domains)
        return names, np.broadcast_to(self.which_clause(grid), shape).copy()

    def _grid(
        self, domains: Mapping[str, Iterable]
    ) -> tuple[tuple[str, ...], dict[str, np.ndarray], tuple[int, ...]]:
        missing = sorted(self.reads - set(domains))
        if missing:
            raise ValueError(f"{self.source!r} reads {missing} but no domain was given for them")
        names = tuple(name for name in domains if name in self.reads)
        axes = [self._domain(name, domains[name]) for name in names]
        grid = np.meshgrid(*axes, indexing="ij", sparse=True)
        return names, dict(zip(names, grid, strict=True)), tuple(len(a) for a in axes)

    def _domain(self, name: str, values: Iterable) -> np.ndarray:
        values = list(values)
        kind = self.variables[name]
        if isinstance(kind, Ordinal) and any(isinstance(v, str) for v in values):
            unknown = [v for v in values if isinstance(v, str) and v not in kind.levels]
            if unknown:
                raise ValueError(f"{unknown} are not levels of '{name}': {kind.levels}")
            values = [kind.code(v) if isinstance(v, str) else v for v in values]
        return np.asarray(values)

    def _check_given(self, arrays: Mapping[str, object]) -> None:
        missing = sorted(self.reads - arrays.keys())
        if missing:
            raise ValueError(f"{self.source!r} reads {missing}, which were not given")

    def __repr__(self) -> str:
        return f"Expr({self.source!r}, {self.type})"
