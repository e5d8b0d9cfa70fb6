"""scsim: a simulator and audit lab for social credit systems over synthetic populations.

scsim models people who do not exist. It reads scenario files and published aggregates only.
"""

__version__ = "0.1.0"
