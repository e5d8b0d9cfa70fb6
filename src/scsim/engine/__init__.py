"""The engine: the kernel, the day loop, the epoch-boundary stages and the metrics.

numba's cache folder (a hash of every kernel source file, this folder's included) is chosen when
the ground floor is imported: see :mod:`scsim.core`.
"""

import scsim.core  # noqa: F401  (chooses numba's cache folder before anything here compiles)
