"""Audit: group metrics, pairing statistics, explain, calibration checks.

Calling the package, ``scsim.audit(run, ...)``, calls :func:`scsim.audit.metrics.audit` (the
face's verb); the modules are ``metrics``, ``frame``, ``compare`` (pairs of runs), ``explain``,
``calibration``, ``defaults`` and ``tidy``.
"""

from scsim.core.verbs import make_callable

make_callable(__name__, "scsim.audit.metrics", "audit")
