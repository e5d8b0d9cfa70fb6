"""Parse expression text with ``ast`` under a strict allowlist and type-check it into the typed form.

Nothing here evaluates user text: ``ast.parse`` only builds a syntax tree, and every node kind is
either translated explicitly below or rejected with the column of the offending text.
"""

from __future__ import annotations

import ast
import difflib
import io
import re
import string
import tokenize
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from numbers import Real
from typing import NoReturn

import numpy as np

from .errors import ExprError
from .evaluate import evaluate
from .ir import BOOL, NUMBER, Arith, Call, Choose, Compare, Const, Logic, Negate, Node, Not, Var
from .types import Bool, Number, Ordinal, Type, describe

MAX_LENGTH = 10_000
MAX_CLAUSES = 127  # which_clause answers in int8
MAX_PARENS = 32  # parentheses nested deeper than this are refused (no scenario needs 5)
MAX_EXPONENT = 1000.0  # a constant exponent beyond ±this overflows any rate it touches
# Look-alikes that NFKC does not turn into ASCII, and what was meant.
_LOOK_ALIKES = {"≥": ">=", "≤": "<=", "≠": "!=", "‘": "'", "’": "'", "“": '"', "”": '"',
                "−": "-", "×": "*", "÷": "/"}  # fmt: skip
ZERO = Const(0.0, NUMBER)

# name -> (fewest arguments, most arguments or None for no limit, how to call it)
FUNCTIONS: dict[str, tuple[int, int | None, str]] = {
    "min": (2, None, "min(a, b, ...)"),
    "max": (2, None, "max(a, b, ...)"),
    "abs": (1, 1, "abs(x)"),
    "clip": (3, 3, "clip(x, lo, hi)"),
    "log": (1, 1, "log(x)"),
    "exp": (1, 1, "exp(x)"),
    "sqrt": (1, 1, "sqrt(x)"),
    "where": (3, 3, "where(cond, a, b)"),
}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Mod: "%"}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_CONSTRUCTS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts (x[...])",
    ast.Slice: "slices",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.Starred: "starred arguments (*x)",
    ast.Tuple: "tuples",
    ast.List: "lists",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.FloorDiv: "floor division (//)",
    ast.MatMult: "matrix multiplication (@)",
    ast.BitAnd: "bitwise operators (&)",
    ast.BitOr: "bitwise operators (|)",
    ast.BitXor: "bitwise operators (^)",
    ast.LShift: "bitwise operators (<<)",
    ast.RShift: "bitwise operators (>>)",
    ast.Invert: "bitwise operators (~)",
    ast.Is: "`is`",
    ast.IsNot: "`is not`",
    ast.In: "`in`",
    ast.NotIn: "`not in`",
}


@dataclass(frozen=True)
class Parsed:
    """A checked expression: its typed form, its top-level `or` clauses and what it depends on."""

    root: Node
    type: Bool | Number
    clauses: tuple[tuple[str, Node], ...]
    reads: frozenset[str]
    params_used: frozenset[str]


def parse(
    source: str,
    variables: Mapping[str, Type],
    params: Mapping[str, object],
    expect: Bool | Number | None,
) -> Parsed:
    """Check ``source`` against the allowlist and the variable types, raising ExprError."""
    if not isinstance(source, str):
        raise TypeError(f"an expression must be text, got {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise ExprError(f"expression is longer than {MAX_LENGTH} characters", 0, source)
    # Line breaks become spaces, so YAML block scalars may split a long expression over lines
    # while every column stays an offset into the original text.
    flat = source.replace("\r", " ").replace("\n", " ")
    body = flat.lstrip()
    shift = len(flat) - len(body)
    if not body.strip():
        raise ExprError("empty expression", 0, source)
    _reject_comments(flat, source)
    _reject_non_ascii(flat, source)
    _reject_deep_parentheses(flat, source)
    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as error:
        raise _syntax_error(error, source, shift, body) from None
    except (RecursionError, MemoryError):
        raise ExprError("expression is nested too deeply", 0, source) from None
    except ValueError as error:  # e.g. a null character
        raise ExprError(str(error), 0, source) from None
    checker = _Checker(source, flat, shift, body.encode(), variables, params)
    try:
        return checker.run(tree.body, expect)
    except RecursionError:
        raise ExprError("expression is nested too deeply", 0, source) from None


def _syntax_error(error: SyntaxError, source: str, shift: int, body: str) -> ExprError:
    message = re.sub(r" \(detected at line \d+\)", "", error.msg)
    if error.offset:  # 1-based, in characters
        column = shift + error.offset - 1
    else:  # Python reports running off the end as offset 0
        column = shift + len(body.rstrip())
        if message == "invalid syntax":
            message = "the expression ends too early"
    return ExprError(message, min(column, len(source)), source)


def _reject_comments(flat: str, source: str) -> None:
    """Refuse '#' comments: with line breaks flattened they would hide the rest of the text."""
    if "#" not in flat:
        return
    try:
        for token in tokenize.generate_tokens(io.StringIO(flat).readline):
            if token.type == tokenize.COMMENT:
                message = "not allowed in scenario expressions: comments"
                raise ExprError(message, token.start[1], source)
    except (tokenize.TokenError, SyntaxError):
        return  # ast.parse reports the syntax error with its own position


def _reject_non_ascii(flat: str, source: str) -> None:
    """Refuse a non-ASCII character outside quotes: Python would read a full-width ``ａｇｅ`` as
    ``age``, and a Cyrillic ``а`` looks like a Latin one but names nothing."""
    quote = ""
    for i, ch in enumerate(flat):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ord(ch) > 127:
            name = unicodedata.name(ch, f"U+{ord(ch):04X}")
            meant = _LOOK_ALIKES.get(ch) or unicodedata.normalize("NFKC", ch)
            hint = f"; write '{meant}'" if meant.isascii() and meant != ch else ""
            message = (
                f"character '{ch}' (U+{ord(ch):04X} {name}) is not ASCII: names and operators "
                f"in expressions are ASCII{hint}"
            )
            raise ExprError(message, i, source)


def _reject_deep_parentheses(flat: str, source: str) -> None:
    """Refuse parentheses nested more than MAX_PARENS deep, at the first one too deep."""
    depth = 0
    for i, ch in enumerate(flat):
        depth += (ch == "(") - (ch == ")")
        if depth > MAX_PARENS:
            message = f"parentheses nested more than {MAX_PARENS} deep: simplify the expression"
            raise ExprError(message, i, source)


def _reads_nothing(node: Node) -> bool:
    """Whether a node is made of constants (literals and parameters) only."""
    if isinstance(node, Var):
        return False
    if isinstance(node, Const):
        return True
    for slot in type(node).__slots__:
        value = getattr(node, slot)
        parts = value if isinstance(value, tuple) else (value,)
        if any(isinstance(p, Node.__args__) and not _reads_nothing(p) for p in parts):
            return False
    return True


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(candidates), n=1)
    return f" — did you mean '{match[0]}'?" if match else ""


class _Checker:
    """Translate one syntax tree, tracking what it reads and failing at the first problem."""

    def __init__(
        self,
        source: str,
        flat: str,
        shift: int,
        body: bytes,
        variables: Mapping[str, Type],
        params: Mapping[str, object],
    ) -> None:
        self.source = source
        self.flat = flat
        self.shift = shift
        self.body = body
        self.variables = variables
        self.params = params
        self.reads: set[str] = set()
        self.params_used: set[str] = set()

    def run(self, tree: ast.expr, expect: Bool | Number | None) -> Parsed:
        """Check the whole tree and its result type."""
        self.reject_dunders(tree)
        root = self.check(tree)
        if isinstance(root.type, Ordinal):
            self.ordinal_misuse(root, tree)
        if isinstance(expect, Bool) and not isinstance(root.type, Bool):
            self.fail(f"expected a true/false condition, got {describe(root.type)}", tree)
        if isinstance(root, Logic) and root.op == "or":
            parts = tuple(zip(tree.values, root.operands, strict=True))  # type: ignore[attr-defined]
        else:
            parts = ((tree, root),)
        if len(parts) > MAX_CLAUSES:
            self.fail(f"too many `or` clauses (at most {MAX_CLAUSES})", tree)
        clauses = tuple((self.source[self.col(t) : self.end(t)], ir) for t, ir in parts)
        if isinstance(expect, Number) and isinstance(root.type, Bool):
            root = Arith("+", ZERO, root, span=root.span)
        type_ = NUMBER if isinstance(root.type, Number) else BOOL
        return Parsed(root, type_, clauses, frozenset(self.reads), frozenset(self.params_used))

    # -- positions and failures

    def col(self, node: ast.AST) -> int:
        """The 0-based character offset of ``node`` in the source (ast counts UTF-8 bytes)."""
        return self.shift + len(self.body[: node.col_offset].decode())

    def end(self, node: ast.AST) -> int:
        """The character offset just past ``node``."""
        return self.shift + len(self.body[: node.end_col_offset].decode())

    def between(self, left: ast.AST, right: ast.AST) -> int:
        """The offset of the operator written between two operands."""
        i, stop = self.end(left), self.col(right)
        while i < stop and self.flat[i] in string.whitespace + ")":
            i += 1
        return i

    def fail(self, message: str, where: ast.AST | int) -> NoReturn:
        column = where if isinstance(where, int) else self.col(where)
        raise ExprError(message, column, self.source)

    def not_allowed(self, construct: ast.AST, where: ast.AST | int) -> NoReturn:
        what = _CONSTRUCTS.get(type(construct), type(construct).__name__.lower())
        self.fail(f"not allowed in scenario expressions: {what}", where)

    def ordinal_misuse(self, ir: Node, node: ast.AST) -> NoReturn:
        assert isinstance(ir, Var) and isinstance(ir.type, Ordinal)
        example = f"{ir.name} >= '{ir.type.levels[len(ir.type.levels) // 2]}'"
        self.fail(f"ordinal '{ir.name}' can only be compared with its levels, e.g. {example}", node)

    def reject_dunders(self, tree: ast.AST) -> None:
        """Refuse any double-underscore name anywhere, before looking at anything else."""
        found = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id.startswith("__"):
                found.append((self.col(node), node.id))
            elif isinstance(node, ast.Attribute) and node.attr.startswith("__"):
                found.append((self.end(node) - len(node.attr), node.attr))
        if found:
            column, name = min(found)
            self.fail(f"not allowed in scenario expressions: dunder name '{name}'", column)

    # -- translation

    def check(self, node: ast.expr) -> Node:
        """Translate one node, or fail; a part made of constants only must be a finite number,
        and a constant exponent within ±MAX_EXPONENT."""
        ir = self._translate(node)
        if ir.span is None:  # kept for the messages of later checks (rules.interval)
            ir = replace(ir, span=(self.col(node), self.end(node)))
        if isinstance(ir, Arith) and ir.op == "**" and _reads_nothing(ir.right):
            with np.errstate(all="ignore"):
                exponent = float(evaluate(ir.right, {}))
            if not abs(exponent) <= MAX_EXPONENT:
                where = node.right if isinstance(node, ast.BinOp) else node
                self.fail(
                    f"exponent {exponent:g} is beyond ±{MAX_EXPONENT:g}: no rate needs it, and "
                    "it overflows",
                    where,
                )
        if not isinstance(ir, Const) and _reads_nothing(ir) and isinstance(ir.type, Number):
            with np.errstate(all="ignore"):
                value = float(evaluate(ir, {}))
            if not np.isfinite(value):
                text = self.source[self.col(node) : self.end(node)]
                self.fail(
                    f"'{text}' is {value} (not a finite number): check the constants and "
                    "parameters in it",
                    node,
                )
        return ir

    def _translate(self, node: ast.expr) -> Node:
        """Translate one node, or fail."""
        match node:
            case ast.BoolOp(op=op, values=values):
                word = "and" if isinstance(op, ast.And) else "or"
                needs = f"`{word}` needs true/false operands"
                return Logic(word, tuple(self.condition(v, needs) for v in values))
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return Not(self.condition(operand, "`not` needs a true/false operand"))
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return Negate(self.numeric(operand))
            case ast.UnaryOp(op=ast.UAdd(), operand=operand):
                value = self.numeric(operand)
                return value if isinstance(value.type, Number) else Arith("+", ZERO, value)
            case ast.UnaryOp(op=op):
                self.not_allowed(op, node)
            case ast.BinOp(left=left, op=op, right=right):
                if type(op) not in _ARITH:
                    self.not_allowed(op, self.between(left, right))
                return Arith(_ARITH[type(op)], self.numeric(left), self.numeric(right))
            case ast.Compare():
                return self.compare(node)
            case ast.IfExp(test=test, body=then, orelse=otherwise):
                return self.choose(test, then, otherwise, "`if ... else`")
            case ast.Call():
                return self.call(node)
            case ast.Name():
                return self.name(node)
            case ast.Attribute():
                return self.param(node)
            case ast.Constant(value=value):
                return self.constant(node, value)
        self.not_allowed(node, node)

    def condition(self, node: ast.expr, needs: str) -> Node:
        """Translate an operand that must be true/false."""
        value = self.check(node)
        if not isinstance(value.type, Bool):
            self.fail(f"{needs}, got {describe(value.type)}", node)
        return value

    def numeric(self, node: ast.expr) -> Node:
        """Translate an operand that must be a number; true/false counts as 0/1."""
        value = self.check(node)
        if isinstance(value.type, Ordinal):
            self.ordinal_misuse(value, node)
        return value

    def compare(self, node: ast.Compare) -> Node:
        """Translate a comparison chain; text literals become the codes of an ordinal's levels."""
        operands = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            if type(op) not in _COMPARE:
                self.not_allowed(op, self.between(operands[i], operands[i + 1]))
        checked = [None if _is_text(o) else self.check(o) for o in operands]
        values = [
            self.level(o, checked[max(i - 1, 0) : i + 2]) if value is None else value
            for i, (o, value) in enumerate(zip(operands, checked, strict=True))
        ]
        for i in range(len(node.ops)):
            self.comparable(values[i], values[i + 1], operands[i], operands[i + 1])
        return Compare(tuple(_COMPARE[type(op)] for op in node.ops), tuple(values))

    def level(self, node: ast.Constant, neighbours: list[Node | None]) -> Const:
        """Resolve a text literal to a level code of the ordinal it is compared with."""
        owners = [n for n in neighbours if n is not None and isinstance(n.type, Ordinal)]
        if not owners:
            self.fail(f"text '{node.value}' can only be compared with an ordinal variable", node)
        ordinal = owners[0].type
        assert isinstance(ordinal, Ordinal)
        if node.value not in ordinal.levels:
            of = f" of '{owners[0].name}'" if isinstance(owners[0], Var) else ""
            hint = _did_you_mean(node.value, ordinal.levels) or (
                f" (levels: {', '.join(ordinal.levels)})"
            )
            self.fail(f"'{node.value}' is not a level{of}{hint}", node)
        return Const(ordinal.code(node.value), ordinal)

    def comparable(
        self, left: Node, right: Node, left_node: ast.expr, right_node: ast.expr
    ) -> None:
        """Fail unless two neighbours in a comparison have compatible types."""
        left_ordinal = isinstance(left.type, Ordinal)
        right_ordinal = isinstance(right.type, Ordinal)
        if left_ordinal and right_ordinal and left.type != right.type:
            what = (_label(left, left_node), _label(right, right_node))
            self.fail(f"cannot compare {what[0]} with {what[1]}: their levels differ", right_node)
        if left_ordinal != right_ordinal:
            ordinal, ordinal_node, other, other_node = (
                (left, left_node, right, right_node)
                if left_ordinal
                else (right, right_node, left, left_node)
            )
            message = f"cannot compare {_label(ordinal, ordinal_node)} with {describe(other.type)}"
            if isinstance(ordinal, Var):
                assert isinstance(ordinal.type, Ordinal)
                example = ordinal.type.levels[len(ordinal.type.levels) // 2]
                message += (
                    f"; compare it with one of its levels, e.g. {ordinal.name} >= '{example}'"
                )
            self.fail(message, other_node)

    def choose(self, test: ast.expr, then: ast.expr, otherwise: ast.expr, what: str) -> Choose:
        """Translate an element-wise choice between two values of compatible types."""
        cond = self.condition(test, f"the condition of {what} must be true/false")
        branches = (self.check(then), self.check(otherwise))
        for value, node in zip(branches, (then, otherwise), strict=True):
            if isinstance(value.type, Ordinal):
                self.ordinal_misuse(value, node)
        both_bool = all(isinstance(b.type, Bool) for b in branches)
        return Choose(cond, *branches, BOOL if both_bool else NUMBER)

    def call(self, node: ast.Call) -> Node:
        """Translate a call of one of the allowed functions."""
        if not isinstance(node.func, ast.Name):
            self.fail(
                "not allowed in scenario expressions: calls of anything but a function name", node
            )
        name = node.func.id
        if node.keywords:
            self.fail("not allowed in scenario expressions: keyword arguments", node.keywords[0])
        if name not in FUNCTIONS:
            hint = _did_you_mean(name, FUNCTIONS) or f" (functions: {', '.join(FUNCTIONS)})"
            self.fail(f"unknown function '{name}'{hint}", node)
        fewest, most, usage = FUNCTIONS[name]
        count = len(node.args)
        if count < fewest or (most is not None and count > most):
            wanted = f"at least {fewest}" if most is None else str(fewest)
            plural = "" if wanted == "1" else "s"
            self.fail(f"{name} takes {wanted} argument{plural}, got {count}: {usage}", node)
        if name == "where":
            return self.choose(*node.args, "where(...)")
        return Call(name, tuple(self.numeric(arg) for arg in node.args))  # type: ignore[arg-type]

    def name(self, node: ast.Name) -> Var:
        """Translate a variable name."""
        if node.id in self.variables:
            self.reads.add(node.id)
            return Var(node.id, self.variables[node.id])
        if node.id == "p":
            example = f"p.{next(iter(self.params))}" if self.params else "p.<name>"
            self.fail(f"`p` must be followed by a parameter name, e.g. {example}", node)
        if node.id in FUNCTIONS:
            self.fail(f"'{node.id}' is a function; call it like {FUNCTIONS[node.id][2]}", node)
        self.fail(f"unknown variable '{node.id}'{_did_you_mean(node.id, self.variables)}", node)

    def param(self, node: ast.Attribute) -> Const:
        """Translate ``p.dotted.name`` to the parameter's value."""
        parts: list[str] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            parts.append(base.attr)
            base = base.value
        if not (isinstance(base, ast.Name) and base.id == "p"):
            self.not_allowed(node, node)
        name = ".".join(reversed(parts))
        if name not in self.params:
            self.fail(f"unknown parameter '{name}'{_did_you_mean(name, self.params)}", node)
        value = self.params[name]
        self.params_used.add(name)
        if isinstance(value, bool | np.bool_):
            return Const(bool(value), BOOL)
        if not isinstance(value, Real):
            self.fail(f"parameter '{name}' is not a number: {value!r}", node)
        return Const(float(value), NUMBER)

    def constant(self, node: ast.Constant, value: object) -> Const:
        """Translate a literal; text is only allowed next to an ordinal in a comparison."""
        if isinstance(value, bool):
            return Const(value, BOOL)
        if isinstance(value, int | float):
            try:
                return Const(float(value), NUMBER)
            except OverflowError:
                self.fail("number is too large", node)
        if isinstance(value, str):
            self.fail(f"text '{value}' can only be compared with an ordinal variable", node)
        what = {complex: "complex numbers", bytes: "bytes"}.get(type(value), repr(value))
        self.fail(f"not allowed in scenario expressions: {what}", node)


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _label(value: Node, node: ast.expr) -> str:
    if isinstance(value, Var):
        return f"ordinal '{value.name}'"
    if _is_text(node):
        return f"'{node.value}'"  # type: ignore[attr-defined]
    return describe(value.type)
