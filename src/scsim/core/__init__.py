"""The ground floor: what every box uses — counter-based random numbers, the state layout, the
error type of a run's settings, and the limits and vocabularies declared once.

It imports nothing else of scsim. Because every box with numba code (population, mechanisms,
engine) imports it before it compiles anything, this is where numba's cache folder is chosen.

numba's on-disk cache checks only the file that defines a kernel, not the functions it inlines or
calls from other modules (mechanisms/*, core/rng.py), so an edited mechanism could run stale
machine code. The cache therefore lives in a folder named after a hash of every source file of
the folders with numba code: any edit starts a fresh cache.
"""

import hashlib
import os
from pathlib import Path

import numba

# core/rng.py (inlined everywhere), engine/ (the kernel, the stages), mechanisms/ (what the kernel
# inlines) and population/ (graph.py's passes, which the stages call and which read core/rng.py)
KERNEL_FOLDERS = ("core", "engine", "mechanisms", "population")


def _kernel_cache_dir() -> str:
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(numba.__version__.encode())
    for folder in KERNEL_FOLDERS:
        for source in sorted((package / folder).glob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    root = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "scsim", "numba"
    )
    return os.path.join(root, digest.hexdigest()[:16])


numba.config.CACHE_DIR = _kernel_cache_dir()
