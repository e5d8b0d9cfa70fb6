"""The safe expression language of scenario files: parsed under an allowlist, never eval'd.

e = compile_expr("age >= 18 and not listed", variables={...}, params={...}, expect=Bool())
e.evaluate({"age": ages, "listed": listed})   # whole arrays, one numpy operation per node
"""

from .errors import ExprError
from .expr import Expr, compile_expr
from .parse import FUNCTIONS
from .types import Bool, Number, Ordinal, Type

__all__ = ["FUNCTIONS", "Bool", "Expr", "ExprError", "Number", "Ordinal", "Type", "compile_expr"]
