"""A proof, before anything runs, that an expression is a finite number wherever it is evaluated.

Interval arithmetic over the typed form: every variable gets the range its attribute is declared
to hold (true/false 0…1, an ordinal its codes), every constant is a point, and each operation maps
the ranges of its operands to a range that holds every value it can give. An operation that can
give NaN or ±infinity somewhere in those ranges (a divisor that can be 0, the log of a number that
can be 0, an exp or a power past the largest float64) is refused at its own place in the text.

Two refinements keep the proof from refusing what is safe:

- the branches of ``a if cond else b`` (and ``where``), and the later operands of ``and``/``or``,
  are checked only over the values for which they are used (``where(income > 0, log(income), 0)``
  is safe: numpy computes ``log(0)`` and discards it);
- a sub-expression that reads only whole-numbered variables of few values (flags, levels, tiers,
  ages) is evaluated exactly on all of them before it is refused (``1 / (urban + (1 - urban))``).

Bounds are computed in float64 without outward rounding, so they hold to within rounding (a few
units in the last place). Variables that are not whole numbers are float32 in the engine, so
``income > 0`` means income is at least the smallest positive float32.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from scsim.core.vocabulary import Range

from .errors import ExprError
from .evaluate import evaluate
from .expr import Expr
from .ir import Arith, Call, Choose, Compare, Const, Logic, Negate, Node, Not, Var
from .types import Bool, Ordinal

LARGEST = sys.float_info.max
EXP_LIMIT = math.log(LARGEST)  # exp of more than this (about 709.78) is infinite in float64
ENUMERABLE = 1 << 16  # combinations of values below which a sub-expression is evaluated exactly

Env = dict[str, Range]


@dataclass(frozen=True)
class Interval:
    """Every value an expression can take lies in [lo, hi]."""

    lo: float
    hi: float

    def has_zero(self) -> bool:
        return self.lo <= 0.0 <= self.hi

    def finite(self) -> bool:
        return math.isfinite(self.lo) and math.isfinite(self.hi)

    def __str__(self) -> str:
        if self.lo == self.hi:
            return _num(self.lo)
        return f"{_num(self.lo)}…{_num(self.hi)}"


class _Refused(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node, self.message = node, message


def prove_finite(
    expr: Expr,
    ranges: Mapping[str, Range],
    *,
    within: tuple[float, float] | None = None,
    what: str = "the value",
    suggest: str = "",
    given: Expr | None = None,
) -> Interval:
    """The range of ``expr``'s values over the declared ``ranges`` of the numbers it reads, or
    ExprError at the sub-expression that can be NaN or infinite; with ``within``, also an
    ExprError when the result can leave [low, high] (``what`` names it, ``suggest`` a fix);
    with ``given``, only over the values for which that condition holds."""
    prover = _Prover(expr.source, ranges)
    variables = {**expr.variables, **(given.variables if given is not None else {})}
    env: Env | None = {name: prover.declared(name, type_) for name, type_ in variables.items()}
    if given is not None:  # only read where the condition ``given`` holds (an event's eligible)
        env = _assume(given.ir, env, True)
        if env is None:
            return Interval(0.0, 0.0)
    try:
        result = prover.interval(expr.ir, env)
        if within is not None:
            result = prover.within(expr.ir, env, result, within, what, suggest)
    except _Refused as refused:
        span = refused.node.span
        raise ExprError(refused.message, span[0] if span else 0, expr.source) from None
    return result


class _Prover:
    def __init__(self, source: str, ranges: Mapping[str, Range]) -> None:
        self.source = source
        self.ranges = ranges

    def declared(self, name: str, type_) -> Range:
        if isinstance(type_, Bool):
            return Range(0, 1, whole=True, why="true/false")
        if isinstance(type_, Ordinal):
            return Range(0, len(type_.levels) - 1, whole=True, why="its levels")
        if name not in self.ranges:
            raise ValueError(f"no declared range for the number '{name}'")
        return self.ranges[name]

    # -- the interval of each kind of node

    def interval(self, node: Node, env: Env) -> Interval:
        match node:
            case Const(value=value):
                return Interval(float(value), float(value))
            case Var(name=name):
                r = env[name]
                return Interval(float(r.low), float(r.high))
            case Not(operand=operand):
                self.interval(operand, env)
                return Interval(0.0, 1.0)
            case Logic(op=op, operands=operands):
                scope: Env | None = env
                for operand in operands:
                    if scope is None:  # decided by the operands before it everywhere
                        break
                    self.interval(operand, scope)
                    scope = _assume(operand, scope, op == "and")
                return Interval(0.0, 1.0)
            case Compare(operands=operands):
                for operand in operands:
                    self.interval(operand, env)
                return Interval(0.0, 1.0)
            case Choose(cond=cond, then=then, otherwise=otherwise):
                self.interval(cond, env)
                parts = [
                    self.interval(branch, scope)
                    for branch, truth in ((then, True), (otherwise, False))
                    if (scope := _assume(cond, env, truth)) is not None
                ]
                return Interval(min(p.lo for p in parts), max(p.hi for p in parts))
            case Negate(operand=operand):
                x = self.interval(operand, env)
                return Interval(-x.hi, -x.lo)
            case Arith(op=op, left=left, right=right):
                a, b = self.interval(left, env), self.interval(right, env)
                return self.checked(node, env, lambda: self.arith(node, op, a, b))
            case Call(func=func, args=args):
                xs = [self.interval(arg, env) for arg in args]
                return self.checked(node, env, lambda: self.call(node, func, xs))
        raise TypeError(f"not an expression node: {node!r}")  # pragma: no cover

    def checked(self, node: Node, env: Env, compute) -> Interval:
        """``compute()``, or where it refuses (or overflows), the exact range of the values of a
        node that reads few whole-numbered values, if they are all finite."""
        try:
            result = compute()
            if not result.finite():
                raise _Refused(node, self.overflow(node, result))
            return result
        except _Refused:
            exact = self.exact(node, env)
            if exact is not None and exact.finite():
                return exact
            raise

    def within(
        self,
        node: Node,
        env: Env,
        result: Interval,
        bounds: tuple[float, float],
        what: str,
        suggest: str,
    ) -> Interval:
        low, high = bounds
        if result.lo >= low and result.hi <= high:
            return result
        exact = self.exact(node, env)
        if exact is not None:
            result = exact
            if result.lo >= low and result.hi <= high:
                return result
        worst = result.hi if result.hi > high else result.lo
        text = self.text(node)
        limits = (
            f"between {_num(low)} and {_num(high)}" if low > -LARGEST else f"{_num(high)} at most"
        )
        raise _Refused(
            node,
            f"{what} must be {limits}, but '{text}' can be {_num(worst)}"
            f"{self.note(node, result)}{' — ' + suggest.format(text=text) if suggest else ''}",
        )

    def arith(self, node: Arith, op: str, a: Interval, b: Interval) -> Interval:
        if op == "+":
            return Interval(a.lo + b.lo, a.hi + b.hi)
        if op == "-":
            return Interval(a.lo - b.hi, a.hi - b.lo)
        if op == "*":
            return _hull(x * y for x in (a.lo, a.hi) for y in (b.lo, b.hi))
        if op in ("/", "%") and b.has_zero():
            den = self.text(node.right)
            guard = f"max({den}, 1)" if b.lo >= 0 else f"where(abs({den}) >= 1, ..., 0)"
            result = "the quotient can be infinite or NaN" if op == "/" else "the remainder is NaN"
            raise _Refused(
                node,
                f"'{self.text(node)}': the divisor {den} can be 0{self.note(node.right, b)}, "
                f"so {result} — guard it, e.g. with {guard}",
            )
        if op == "/":
            return _hull(x / y for x in (a.lo, a.hi) for y in (b.lo, b.hi))
        if op == "%":
            if b.lo > 0:
                return a if a.lo >= 0 and a.hi < b.lo else Interval(0.0, b.hi)
            return a if b.hi < a.lo <= a.hi <= 0 else Interval(b.lo, 0.0)
        return self.power(node, a, b)

    def power(self, node: Arith, a: Interval, b: Interval) -> Interval:
        base, exponent = self.text(node.left), self.text(node.right)
        if b.lo == b.hi and float(b.lo).is_integer():
            n = b.lo
            if n < 0 and a.has_zero():
                raise _Refused(
                    node,
                    f"'{self.text(node)}': {base} can be 0{self.note(node.left, a)}, and 0 to "
                    f"a negative power is infinite — guard it, e.g. max({base}, 1) ** {exponent}",
                )
            corners = [_pow(a.lo, n), _pow(a.hi, n)]
            if n > 0 and n % 2 == 0 and a.has_zero():
                corners.append(0.0)
            return _hull(corners)
        if a.lo < 0:
            raise _Refused(
                node,
                f"'{self.text(node)}': {base} can be negative{self.note(node.left, a)}, and a "
                f"negative number to a power that is not a whole number is NaN — guard it, e.g. "
                f"max({base}, 0) ** {exponent}",
            )
        if a.lo == 0 and b.lo < 0:
            raise _Refused(
                node,
                f"'{self.text(node)}': {base} can be 0{self.note(node.left, a)}, and {exponent} "
                f"negative{self.note(node.right, b)}; 0 to a negative power is infinite — guard "
                f"it, e.g. max({base}, 1) ** {exponent}",
            )
        return _hull(_pow(x, y) for x in (a.lo, a.hi) for y in (b.lo, b.hi))

    def call(self, node: Call, func: str, xs: list[Interval]) -> Interval:
        if func == "min":
            return Interval(min(x.lo for x in xs), min(x.hi for x in xs))
        if func == "max":
            return Interval(max(x.lo for x in xs), max(x.hi for x in xs))
        if func == "clip":
            x, lo, hi = xs
            low = Interval(max(x.lo, lo.lo), max(x.hi, lo.hi))
            return Interval(min(low.lo, hi.lo), min(low.hi, hi.hi))
        (x,) = xs
        arg = self.text(node.args[0])
        note = self.note(node.args[0], x)
        if func == "abs":
            if x.lo >= 0:
                return x
            return Interval(-x.hi, -x.lo) if x.hi <= 0 else Interval(0.0, max(-x.lo, x.hi))
        if func == "log":
            if x.lo <= 0:
                raise _Refused(
                    node,
                    f"'{self.text(node)}': {arg} can be {'0' if x.lo == 0 else 'negative'}"
                    f"{note}, so log can be -inf or NaN — guard it, e.g. log(max({arg}, 1))",
                )
            return Interval(math.log(x.lo), math.log(x.hi))
        if func == "sqrt":
            if x.lo < 0:
                raise _Refused(
                    node,
                    f"'{self.text(node)}': {arg} can be negative{note}, so sqrt can be NaN — "
                    f"guard it, e.g. sqrt(max({arg}, 0))",
                )
            return Interval(math.sqrt(x.lo), math.sqrt(x.hi))
        if func == "exp":
            if x.hi > EXP_LIMIT:
                raise _Refused(
                    node,
                    f"'{self.text(node)}': {arg} can be {_num(x.hi)}{note}, and exp of more "
                    f"than {EXP_LIMIT:.2f} is infinite in float64 — cap it, e.g. "
                    f"exp(min({arg}, 50))",
                )
            return Interval(math.exp(x.lo), math.exp(x.hi))
        raise TypeError(f"not a function: {func}")  # pragma: no cover

    def overflow(self, node: Node, result: Interval) -> str:
        sign = "-" if not math.isfinite(result.lo) else ""
        return (
            f"'{self.text(node)}' can pass the largest float64 ({LARGEST:.4g}) and be "
            f"{sign}inf{self.note(node, None)} — bound what it reads, e.g. with min(...)"
        )

    # -- exact values of small domains

    def exact(self, node: Node, env: Env) -> Interval | None:
        """The exact range of ``node`` (±inf or NaN kept), if it reads few whole-numbered values."""
        names = sorted(_reads(node))
        axes = []
        for name in names:
            r = env[name]
            if not (r.whole or r.low == r.high):
                return None
            axes.append(np.arange(math.ceil(r.low), math.floor(r.high) + 1, dtype=np.float64))
        if math.prod(len(a) for a in axes) > ENUMERABLE:
            return None
        grid = np.meshgrid(*axes, indexing="ij", sparse=True) if axes else []
        arrays = dict(zip(names, grid, strict=True))
        with np.errstate(all="ignore"):
            values = np.asarray(evaluate(node, arrays), dtype=np.float64)
        if np.isnan(values).any():
            return Interval(math.nan, math.nan)
        return Interval(float(values.min()), float(values.max()))

    # -- words

    def text(self, node: Node) -> str:
        if node.span is None:
            return str(node.value) if isinstance(node, Const) else "the expression"
        start, end = node.span
        return " ".join(self.source[start:end].split())

    def note(self, node: Node, interval: Interval | None) -> str:
        """Why ``node`` can take such values: ' (it lies in -500…3.403e+38: income is …)'."""
        declared = [
            f"{name} is {Interval(r.low, r.high)}, {r.why}"
            for name in sorted(set(_reads(node)))
            if (r := self.ranges.get(name)) is not None
        ]
        if isinstance(node, Var) or interval is None:
            return f" ({'; '.join(declared)})" if declared else ""
        return f" (it lies in {interval}{': ' if declared else ''}{'; '.join(declared)})"


# -- what a condition tells about the variables it reads


def _assume(cond: Node, env: Env, truth: bool) -> Env | None:
    """``env`` narrowed to where ``cond`` is ``truth``; None where that happens nowhere."""
    match cond:
        case Var(name=name, type=Bool()):
            return _narrow(env, name, float(truth), float(truth))
        case Not(operand=operand):
            return _assume(operand, env, not truth)
        case Logic(op=op, operands=operands) if (op == "and") == truth:
            scope: Env | None = env
            for operand in operands:
                if scope is None:
                    return None
                scope = _assume(operand, scope, truth)
            return scope
        case Compare(ops=ops, operands=operands) if truth or len(ops) == 1:
            scope = env
            for op, left, right in zip(ops, operands[:-1], operands[1:], strict=True):
                op = op if truth else _NEGATED[op]
                if isinstance(left, Var) and _reads_nothing(right):
                    scope = _compare(scope, left.name, op, _value(right))
                elif isinstance(right, Var) and _reads_nothing(left):
                    scope = _compare(scope, right.name, _FLIPPED[op], _value(left))
                if scope is None:
                    return None
            return scope
    return env


_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _compare(env: Env, name: str, op: str, c: float) -> Env | None:
    """``env`` narrowed to where ``name op c`` holds."""
    r = env[name]
    lo, hi = float(r.low), float(r.high)
    if op in (">", ">=", "=="):
        lo = max(lo, _above(c, r.whole) if op == ">" else _at_least(c, r.whole))
    if op in ("<", "<=", "=="):
        hi = min(hi, _below(c, r.whole) if op == "<" else _at_most(c, r.whole))
    if op == "!=":
        lo = _above(c, r.whole) if lo == c else lo
        hi = _below(c, r.whole) if hi == c else hi
    return _narrow(env, name, lo, hi)


def _narrow(env: Env, name: str, lo: float, hi: float) -> Env | None:
    r = env[name]
    lo, hi = max(lo, float(r.low)), min(hi, float(r.high))
    if lo > hi:
        return None
    return {**env, name: r._replace(low=lo, high=hi)}


# Variables that are not whole numbers are float32 in the engine, and a comparison of a float32
# with a number is made in float32 or float64: either way `x > c` means x is at least the
# smallest float32 above the float32 nearest c and c itself, whichever is lower.
def _above(c: float, whole: bool) -> float:
    if whole:
        return math.floor(c) + 1.0
    f = np.float32(c)
    if float(f) > c:
        f = np.nextafter(f, np.float32(-np.inf))
    return float(np.nextafter(f, np.float32(np.inf)))


def _below(c: float, whole: bool) -> float:
    if whole:
        return math.ceil(c) - 1.0
    f = np.float32(c)
    if float(f) < c:
        f = np.nextafter(f, np.float32(np.inf))
    return float(np.nextafter(f, np.float32(-np.inf)))


def _at_least(c: float, whole: bool) -> float:
    return float(math.ceil(c)) if whole else min(c, float(np.float32(c)))


def _at_most(c: float, whole: bool) -> float:
    return float(math.floor(c)) if whole else max(c, float(np.float32(c)))


# -- helpers


def _reads(node: Node) -> Iterator[str]:
    if isinstance(node, Var):
        yield node.name
        return
    for child in _children(node):
        yield from _reads(child)


def _children(node: Node) -> Iterator[Node]:
    for slot in type(node).__slots__:
        value = getattr(node, slot)
        for part in value if isinstance(value, tuple) else (value,):
            if isinstance(part, Node.__args__):
                yield part


def _reads_nothing(node: Node) -> bool:
    return next(_reads(node), None) is None


def _value(node: Node) -> float:
    with np.errstate(all="ignore"):
        return float(evaluate(node, {}))


def _pow(x: float, y: float) -> float:
    try:
        return float(x**y)
    except OverflowError:
        return math.inf
    except ZeroDivisionError:
        return math.inf


def _hull(values) -> Interval:
    values = list(values)
    if any(math.isnan(v) for v in values):
        return Interval(math.nan, math.nan)
    return Interval(min(values), max(values))


def _num(x: float) -> str:
    """A number as a reader expects it: 1,000,000, 0.5, 3.403e+38."""
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:.4g}"


__all__ = ["ENUMERABLE", "EXP_LIMIT", "Interval", "prove_finite"]
