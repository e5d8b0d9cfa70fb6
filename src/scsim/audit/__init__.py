"""Audit: group metrics, pairing statistics, explain, calibration checks.

``scsim.audit(run, ...)`` is the face's verb (:func:`scsim.api.audit`); the modules are
``metrics``, ``frame``, ``compare`` (pairs of runs), ``explain``, ``calibration``, ``tidy``.
"""

from scsim import _callable_package

_callable_package(__name__)
