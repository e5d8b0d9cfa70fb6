"""The typed intermediate form that checked expressions compile to and evaluators walk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from .types import Bool, Number, Type

BOOL = Bool()
NUMBER = Number()

CompareOp = Literal["<", "<=", ">", ">=", "==", "!="]
ArithOp = Literal["+", "-", "*", "/", "**", "%"]
Function = Literal["min", "max", "abs", "clip", "log", "exp", "sqrt"]


@dataclass(frozen=True, slots=True)
class Const:
    """A literal or a parameter, resolved at compile time (ordinal levels as their codes)."""

    value: float | bool
    type: Type


@dataclass(frozen=True, slots=True)
class Var:
    """A variable read from the arrays given to evaluate."""

    name: str
    type: Type


@dataclass(frozen=True, slots=True)
class Not:
    """Logical negation."""

    operand: Node
    type: ClassVar[Type] = BOOL


@dataclass(frozen=True, slots=True)
class Logic:
    """``and`` / ``or`` over two or more true/false operands."""

    op: Literal["and", "or"]
    operands: tuple[Node, ...]
    type: ClassVar[Type] = BOOL


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison chain: ``operands[i] ops[i] operands[i + 1]`` for every i, all true."""

    ops: tuple[CompareOp, ...]
    operands: tuple[Node, ...]
    type: ClassVar[Type] = BOOL


@dataclass(frozen=True, slots=True)
class Arith:
    """A binary arithmetic operation; true/false operands count as 0/1."""

    op: ArithOp
    left: Node
    right: Node
    type: ClassVar[Type] = NUMBER


@dataclass(frozen=True, slots=True)
class Negate:
    """Unary minus."""

    operand: Node
    type: ClassVar[Type] = NUMBER


@dataclass(frozen=True, slots=True)
class Call:
    """One of the allowed numeric functions."""

    func: Function
    args: tuple[Node, ...]
    type: ClassVar[Type] = NUMBER


@dataclass(frozen=True, slots=True)
class Choose:
    """``then if cond else otherwise`` (also ``where(cond, then, otherwise)``), element-wise."""

    cond: Node
    then: Node
    otherwise: Node
    type: Type


Node = Const | Var | Not | Logic | Compare | Arith | Negate | Call | Choose
