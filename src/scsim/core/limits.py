"""The limits the engine's compact encodings set, declared once: the scenario box checks them at
load time and the mechanisms rely on them.

The measures' lookup table is indexed by a uint8 status: one bit per black or red list, and above
them the composite band code (0 for a non-user, else 1 + the band). 2**MAX_LISTS x (MAX_BANDS + 1)
= 128 status values fit in the uint8.
"""

from __future__ import annotations

MAX_LISTS = 4  # black and red lists: membership bits index the measures' lookup table
MAX_BANDS = 7  # composite bands: band codes (with 0: not a user) index the same table
MAX_RIGHTS = 8  # hukou rights: the rights a citizen lacks are bits of a uint8
MAX_MEASURES = 15  # measures: measure flags are bits of one int16 state field

assert (1 << MAX_LISTS) * (MAX_BANDS + 1) <= 256  # the status index is one uint8
