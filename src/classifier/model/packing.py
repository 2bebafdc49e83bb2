"""Lists of strings as two arrays, the UTF-8 text of all of them and their offsets: how
the model file and the cached scorer tables store a vocabulary.

Why: Python's pure-Python unpickler reads a list of 300,000 terms one string at a time
(over a second); two arrays load in a few milliseconds, and NumPy reads them without
pickle (``allow_pickle=False``), so a cache file cannot run code.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np


def pack_strings(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of ``strings`` joined (uint8) and each one's character offsets
    (int64, ``len(strings) + 1`` of them)."""
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    offsets = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(lengths)])
    text = np.frombuffer("".join(strings).encode("utf-8"), dtype=np.uint8)
    return text, offsets


def unpack_strings(text: np.ndarray | bytes, offsets: np.ndarray) -> list[str]:
    """The strings of :func:`pack_strings`."""
    joined = bytes(text).decode("utf-8")
    return [joined[a:b] for a, b in pairwise(np.asarray(offsets).tolist())]
