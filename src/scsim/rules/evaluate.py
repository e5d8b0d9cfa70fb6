"""Evaluate the typed form over numpy arrays, one whole-array operation per node."""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce

import numpy as np

from .ir import Arith, Call, Choose, Compare, Const, Logic, Negate, Node, Not, Var
from .types import Bool

F8 = np.float64

_COMPARE = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}
# Arithmetic is done in float64 whatever the inputs: true/false counts as 0/1, and integer
# inputs can neither overflow nor fail on negative powers.
_ARITH = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.true_divide,
    "**": np.power,
    "%": np.remainder,
}
_UNARY = {"abs": np.absolute, "log": np.log, "exp": np.exp, "sqrt": np.sqrt}


def evaluate(node: Node, arrays: Mapping[str, object]) -> np.ndarray | float | bool:
    """The value of ``node``: an array shaped like the broadcast of the arrays it reads."""
    match node:
        case Const(value=value):
            return value
        case Var(name=name, type=Bool()):
            values = np.asarray(arrays[name])
            return values if values.dtype == np.bool_ else values != 0
        case Var(name=name):
            return np.asarray(arrays[name])
        case Not(operand=operand):
            return np.logical_not(evaluate(operand, arrays))
        case Logic(op=op, operands=operands):
            ufunc = np.logical_and if op == "and" else np.logical_or
            return reduce(ufunc, (evaluate(o, arrays) for o in operands))
        case Compare(ops=ops, operands=operands):
            values = [evaluate(o, arrays) for o in operands]
            pairs = (
                _COMPARE[op](a, b) for op, a, b in zip(ops, values[:-1], values[1:], strict=True)
            )
            return reduce(np.logical_and, pairs)
        case Arith(op=op, left=left, right=right):
            a, b = evaluate(left, arrays), evaluate(right, arrays)
            return _ARITH[op](a, b, out=_scratch((left, a), (right, b)), dtype=F8)
        case Negate(operand=operand):
            value = evaluate(operand, arrays)
            return np.negative(value, out=_scratch((operand, value)), dtype=F8)
        case Call(func="min" | "max" as func, args=args):
            ufunc = np.minimum if func == "min" else np.maximum
            return reduce(lambda a, b: ufunc(a, b, dtype=F8), (evaluate(a, arrays) for a in args))
        case Call(func="clip", args=(x, lo, hi)):
            low = np.maximum(evaluate(x, arrays), evaluate(lo, arrays), dtype=F8)
            return np.minimum(low, evaluate(hi, arrays), dtype=F8)
        case Call(func=func, args=(x,)):
            return _UNARY[func](evaluate(x, arrays), dtype=F8)
        case Choose(cond=cond, then=then, otherwise=otherwise):
            return np.where(
                evaluate(cond, arrays), evaluate(then, arrays), evaluate(otherwise, arrays)
            )
    raise TypeError(f"not an expression node: {node!r}")  # pragma: no cover


def _scratch(*operands: tuple[Node, object]) -> np.ndarray | None:
    """An operand that is a float64 temporary of the result's shape, to write the result into.

    Arithmetic results are never the caller's arrays, so overwriting them saves an allocation
    (and its page faults) per operation on large populations.
    """
    shape = np.broadcast_shapes(*(np.shape(value) for _, value in operands))
    for node, value in operands:
        if (
            isinstance(node, Arith | Negate | Call)
            and isinstance(value, np.ndarray)
            and value.dtype == F8
            and value.shape == shape
        ):
            return value
    return None
