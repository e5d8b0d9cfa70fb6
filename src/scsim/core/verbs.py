"""A box's package that is also a verb of the face: ``scsim.audit(run)`` calls the audit, while
``scsim.audit.metrics`` stays the module. (Python sets ``scsim.audit`` to the package as soon as
any of its modules is imported, so the package itself must be what is called.)"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


class VerbPackage(types.ModuleType):
    """A package module whose call is ``verb(*args, **kwargs)`` of one of its own modules."""

    verb: tuple[str, str]  # (module, function), set by make_callable

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        module, function = self.verb
        return getattr(importlib.import_module(module), function)(*args, **kwargs)


def make_callable(package: str, module: str, function: str) -> None:
    """Make the package ``package`` (being imported) call ``module.function`` when called."""
    sys.modules[package].__class__ = VerbPackage
    sys.modules[package].verb = (module, function)
