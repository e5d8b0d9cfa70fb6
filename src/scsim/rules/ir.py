"""The typed intermediate form that checked expressions compile to and evaluators walk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from .types import Bool, Number, Type

BOOL = Bool()
NUMBER = Number()

CompareOp = Literal["<", "<=", ">", ">=", "==", "!="]
ArithOp = Literal["+", "-", "*", "/", "**", "%"]
Function = Literal["min", "max", "abs", "clip", "log", "exp", "sqrt"]
Span = tuple[int, int] | None  # (start, end) character offsets of the node in its source


def _span() -> Span:
    """Where a node was written: kept for error messages, ignored by equality."""
    return field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Const:
    """A literal or a parameter, resolved at compile time (ordinal levels as their codes)."""

    value: float | bool
    type: Type
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Var:
    """A variable read from the arrays given to evaluate."""

    name: str
    type: Type
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Not:
    """Logical negation."""

    operand: Node
    type: ClassVar[Type] = BOOL
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Logic:
    """``and`` / ``or`` over two or more true/false operands."""

    op: Literal["and", "or"]
    operands: tuple[Node, ...]
    type: ClassVar[Type] = BOOL
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison chain: ``operands[i] ops[i] operands[i + 1]`` for every i, all true."""

    ops: tuple[CompareOp, ...]
    operands: tuple[Node, ...]
    type: ClassVar[Type] = BOOL
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Arith:
    """A binary arithmetic operation; true/false operands count as 0/1."""

    op: ArithOp
    left: Node
    right: Node
    type: ClassVar[Type] = NUMBER
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Negate:
    """Unary minus."""

    operand: Node
    type: ClassVar[Type] = NUMBER
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Call:
    """One of the allowed numeric functions."""

    func: Function
    args: tuple[Node, ...]
    type: ClassVar[Type] = NUMBER
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Choose:
    """``then if cond else otherwise`` (also ``where(cond, then, otherwise)``), element-wise."""

    cond: Node
    then: Node
    otherwise: Node
    type: Type
    span: Span = _span()


Node = Const | Var | Not | Logic | Compare | Arith | Negate | Call | Choose
