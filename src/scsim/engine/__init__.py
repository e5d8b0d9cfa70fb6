"""The engine: state arrays, counter-based random numbers, numba kernels and the day loop.

numba's on-disk cache checks only the file that defines a kernel, not the modules it inlines
(mechanisms/*), so an edited mechanism could run stale machine code. The cache therefore lives
in a folder named after a hash of every kernel source file: any edit starts a fresh cache.
"""

import hashlib
import os
from pathlib import Path

import numba


def _kernel_cache_dir() -> str:
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(numba.__version__.encode())
    for folder in ("engine", "mechanisms"):
        for source in sorted((package / folder).glob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    root = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "scsim", "numba"
    )
    return os.path.join(root, digest.hexdigest()[:16])


numba.config.CACHE_DIR = _kernel_cache_dir()
