"""Audit: group metrics, pairing statistics, explain, calibration checks.

Calling the package, ``scsim.audit(run, ...)``, calls :func:`scsim.audit.metrics.audit` (the
face's verb), and ``from scsim.audit import audit`` gives that function; the modules are
``metrics``, ``frame``, ``compare`` (pairs of runs), ``explain``, ``calibration``, ``defaults``
and ``tidy``.
"""

from __future__ import annotations

import importlib
from typing import Any

from scsim.core.verbs import make_callable

make_callable(__name__, "scsim.audit.metrics", "audit")

# Names given on first use, so that importing the package (the command line does) stays light.
_LAZY = {"audit": "scsim.audit.metrics", "AuditTable": "scsim.audit.metrics",
         "explain": "scsim.audit.explain", "Comparison": "scsim.audit.compare"}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'scsim.audit' has no attribute {name!r}")
