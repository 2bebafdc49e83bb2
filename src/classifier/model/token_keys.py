"""Exact integer keys of ASCII letter-and-digit tokens, computed with NumPy for all the
tokens of a batch at once (used by :class:`~classifier.model.ngrams.WordNgrams`).

A token of up to 10 characters packs losslessly into one int64: 6 bits per letter or
digit, so two different tokens never share a key. A token of 11 to 20 characters is two
such keys, of its first 10 characters and of the rest; :class:`LongWords` finds the word
of such a key pair with hash lookups, so that these tokens, common in news ("government",
"international"), need no Python string either. Only longer tokens are looked up by
their text.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

PACKED = 10  # characters packed into one key: 10 x 6 bits fit an int64
LONG = 2 * PACKED  # the longest token looked up by two keys

_ALNUM = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CODE = np.zeros(256, dtype=np.int64)  # 1..62 for letters and digits, 0 for the rest
_CODE[np.frombuffer(_ALNUM, dtype=np.uint8)] = np.arange(1, len(_ALNUM) + 1)
_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[ord("A") : ord("Z") + 1] += ord("a") - ord("A")
# Each byte's code, by whether ASCII case is folded: 0 for separators.
BYTE_CODES = {False: _CODE.astype(np.uint8), True: _CODE.astype(np.uint8)[_LOWER]}
# The same codes with digits as separators, for texts whose cleaner removes numbers.
_NO_DIGITS = _CODE.astype(np.uint8)
_NO_DIGITS[np.frombuffer(b"0123456789", dtype=np.uint8)] = 0
LETTER_CODES = {False: _NO_DIGITS, True: _NO_DIGITS[_LOWER]}


def packed_key(token: str) -> int | None:
    """The 64-bit key of an ASCII letters-and-digits token of at most 10 characters (else
    None), as :func:`pack` computes it for every such token of a text: the 6-bit code of
    its i-th character at bits ``6 i``."""
    if not (len(token) <= PACKED and token.isascii() and token.isalnum()):
        return None
    return sum(int(_CODE[char]) << (6 * i) for i, char in enumerate(token.encode("ascii")))


_BYTE_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)


def _u64(value: int) -> np.uint64:
    return np.uint64(value)


def pack(codes: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """:func:`packed_key` of the tokens ``codes[starts[i] : starts[i] + lengths[i]]`` (6-bit
    codes in a uint8 array followed by at least 16 zeros), for tokens of up to 10
    characters; longer tokens get the key of their first 10.

    Each token's first 8 codes are read as one little-endian uint64 (a view of the bytes
    at every offset), masked to the token's length and squeezed from 8 to 6 bits per
    character; the next 2 codes fill bits 48 to 59.
    """
    words = np.ndarray((len(codes) - 7,), dtype=np.uint64, buffer=codes, strides=(1,))
    x = words[starts] & _BYTE_MASKS[np.minimum(lengths, 8)]
    x = (x & _u64(0x003F003F003F003F)) | ((x >> _u64(2)) & _u64(0x0FC00FC00FC00FC0))
    x = (x & _u64(0x00000FFF00000FFF)) | ((x >> _u64(4)) & _u64(0x00FFF00000FFF000))
    x = (x & _u64(0xFFFFFF)) | ((x >> _u64(8)) & _u64(0xFFFFFF000000))
    y = words[starts + 8] & _BYTE_MASKS[np.clip(lengths - 8, 0, 2)]
    y = (y & _u64(0x3F)) | ((y >> _u64(2)) & _u64(0xFC0))
    return (x | (y << _u64(48))).view(np.int64)


def word_keys(words: pa.StringArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the words of 1 to 20 letters or digits: their indices, the key of their first
    10 characters and the key of the rest (0 for a word of at most 10)."""
    offsets = np.frombuffer(words.buffers()[1], dtype=np.int32)[words.offset :][: len(words) + 1]
    data = np.frombuffer(words.buffers()[2], dtype=np.uint8)[: offsets[-1]]
    codes = np.concatenate([_CODE.astype(np.uint8)[data], np.zeros(16 + PACKED, np.uint8)])
    starts, lengths = offsets[:-1].astype(np.int64), np.diff(offsets).astype(np.int64)
    # A word has keys if it is 1 to 20 letters or digits: no byte of code 0.
    zeros = np.concatenate([[0], np.cumsum(codes[: len(data)] == 0)])
    ok = (lengths >= 1) & (lengths <= LONG) & (zeros[starts + lengths] == zeros[starts])
    index = np.flatnonzero(ok)
    starts, lengths = starts[index], lengths[index]
    rest = np.maximum(lengths - PACKED, 0)
    return index, pack(codes, starts, lengths), pack(codes, starts + PACKED, rest)


class LongWords:
    """The word ids of tokens of 11 to 20 letters or digits, by their two keys.

    Three hash lookups, with no Python object per token: the first key's index among the
    first keys of such words, the second key's among their second keys, then the pair of
    indices (one int64) among the words' pairs.
    """

    def __init__(self, firsts: np.ndarray, seconds: np.ndarray, ids: np.ndarray) -> None:
        first_keys, first_at = np.unique(firsts, return_inverse=True)
        second_keys, second_at = np.unique(seconds, return_inverse=True)
        pairs = first_at.ravel() * max(len(second_keys), 1) + second_at.ravel()
        self._load(
            {
                "first_keys": first_keys,
                "second_keys": second_keys,
                "pairs": pairs,
                "ids": np.asarray(ids, dtype=np.int64),
            }
        )

    @classmethod
    def from_tables(cls, tables: Mapping[str, np.ndarray]) -> LongWords:
        self = cls.__new__(cls)
        self._load(tables)
        return self

    def _load(self, tables: Mapping[str, np.ndarray]) -> None:
        self._tables = dict(tables)
        self._firsts = pd.Index(tables["first_keys"])
        self._seconds = pd.Index(tables["second_keys"])
        self._n_seconds = max(len(self._seconds), 1)
        self._pairs = pd.Index(tables["pairs"])
        self._ids = np.asarray(tables["ids"])
        for index in (self._firsts, self._seconds, self._pairs):  # build the hash tables now
            index.get_indexer(np.zeros(1, dtype=np.int64))

    def tables(self) -> dict[str, np.ndarray]:
        """The arrays :meth:`from_tables` rebuilds the lookup from."""
        return self._tables

    def ids(self, firsts: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """The word id of each token with these two keys, -1 for tokens of no word."""
        first = self._firsts.get_indexer(firsts)
        second = self._seconds.get_indexer(seconds)
        both = (first >= 0) & (second >= 0)
        out = np.full(len(firsts), -1, dtype=np.int64)
        found = self._pairs.get_indexer(first[both] * self._n_seconds + second[both])
        out[np.flatnonzero(both)[found >= 0]] = self._ids[found[found >= 0]]
        return out
