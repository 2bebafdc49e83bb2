"""Compiled loops of the n-gram lookup (:mod:`classifier.model.ngrams`), with Numba.

Why this exists: with NumPy alone, tokenizing and looking up a batch of articles is some
thirty whole-array passes over its bytes and tokens (codes, word boundaries, packing,
text index, masks, gathers), about 30 µs per article. HuggingFace ``tokenizers`` (220 to
300 µs) and Arrow's RE2 splitting (about 36 µs, before any lookup) are slower still for
this job, so each step here is one loop over the batch, compiled by Numba (cached on
disk after the first run) and run without the GIL, so that threads scale. The hash
tables are open addressing with linear probing on int64 keys at most half full.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_EMPTY = -1
_PACKED = 10  # characters packed into one key: 10 x 6 bits fit an int64
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(inline="always")
def _slot(key, mask):
    return np.int64((np.uint64(key) * _GOLDEN) >> np.uint64(40)) & mask


@njit(cache=True, nogil=True)
def build_table(keys: np.ndarray) -> np.ndarray:
    """An open-addressing table of distinct non-negative int64 ``keys``: one row per slot,
    its key (``-1``: empty) and that key's position in ``keys``, side by side so that a
    lookup reads one cache line."""
    size = 16
    while size < 2 * len(keys):
        size *= 2
    slots = np.full((size, 2), _EMPTY, dtype=np.int64)
    mask = size - 1
    for i in range(len(keys)):
        h = _slot(keys[i], mask)
        while slots[h, 0] != _EMPTY and slots[h, 0] != keys[i]:
            h = (h + 1) & mask
        slots[h, 0] = keys[i]
        slots[h, 1] = i
    return slots


@njit(inline="always")
def _find(slots, key):
    mask = len(slots) - 1
    h = _slot(key, mask)
    while True:
        found = slots[h, 0]
        if found == key:
            return slots[h, 1]
        if found == _EMPTY:
            return _EMPTY
        h = (h + 1) & mask


@njit(cache=True, nogil=True)
def scan_tokens(raw: np.ndarray, codes: np.ndarray, ends: np.ndarray):
    """The tokens of texts whose bytes are ``raw`` (text ``d`` ends before ``ends[d]``; one
    separator byte between texts): runs of two or more bytes of non-zero ``codes``.

    Returns each token's packed key (the 6-bit code of its i-th byte at bits ``6 i``, for
    its first 10 bytes), its text, and the positions, starts and ends of tokens longer
    than 10 bytes, whose key is not unique.
    """
    cap = len(raw) // 3 + 1  # a token and its separator take at least 3 bytes
    keys = np.empty(cap, dtype=np.int64)
    doc = np.empty(cap, dtype=np.int64)
    long_at = np.empty(cap, dtype=np.int64)
    long_start = np.empty(cap, dtype=np.int64)
    long_end = np.empty(cap, dtype=np.int64)
    n = 0
    n_long = 0
    start = 0
    for d in range(len(ends)):
        end = ends[d]
        i = start
        while i < end:
            if codes[raw[i]] == 0:
                i += 1
                continue
            j = i
            key = np.int64(0)
            while j < end:
                c = codes[raw[j]]
                if c == 0:
                    break
                if j - i < _PACKED:
                    key |= np.int64(c) << (6 * (j - i))
                j += 1
            if j - i >= 2:
                keys[n] = key
                doc[n] = d
                if j - i > _PACKED:
                    long_at[n_long] = n
                    long_start[n_long] = i
                    long_end[n_long] = j
                    n_long += 1
                n += 1
            i = j
        start = end + 1
    # Views, not copies: the pages past the last token are never touched.
    return keys[:n], doc[:n], long_at[:n_long], long_start[:n_long], long_end[:n_long]


@njit(cache=True, nogil=True)
def word_ids(slots, short_ids, keys, long_at, long_ids) -> np.ndarray:
    """Word id of each packed token key (``-1``: unknown), with ``long_ids`` at
    ``long_at`` (tokens whose key is not unique, looked up by their text)."""
    ids = np.empty(len(keys), dtype=np.int64)
    for i in range(len(keys)):
        found = _find(slots, keys[i])
        ids[i] = short_ids[found] if found >= 0 else _EMPTY
    for i in range(len(long_at)):
        ids[long_at[i]] = long_ids[i]
    return ids


@njit(cache=True, nogil=True)
def ngram_columns(ids, doc, n_texts, unigram_cols, known, pairs, bigram_cols, ngram_range):
    """Row and column of every unigram and bigram of the vocabulary (those ``ngram_range``
    asks for) among tokens ``ids`` (word ids, ``-1`` unknown) of texts ``doc`` (in text
    order, tokens in their order), and each text's out-of-vocabulary rate. A bigram's key
    in ``pairs`` is ``first * n_words + second``, ``n_words`` the length of ``known``."""
    unigrams, bigrams = ngram_range[0] == 1, ngram_range[1] == 2
    n_words = max(len(known), 1)
    rows = np.empty(2 * len(ids), dtype=np.int64)
    cols = np.empty(2 * len(ids), dtype=np.int64)
    lengths = np.zeros(n_texts, dtype=np.int64)
    unknown = np.zeros(n_texts, dtype=np.int64)
    n = 0
    for t in range(len(ids)):
        d = doc[t]
        w = ids[t]
        lengths[d] += 1
        if w < 0 or not known[w]:
            unknown[d] += 1
        if w < 0:
            continue
        if unigrams and unigram_cols[w] >= 0:
            rows[n] = d
            cols[n] = unigram_cols[w]
            n += 1
        if bigrams and t + 1 < len(ids) and doc[t + 1] == d and ids[t + 1] >= 0:
            found = _find(pairs, w * n_words + ids[t + 1])
            if found >= 0:
                rows[n] = d
                cols[n] = bigram_cols[found]
                n += 1
    oov = np.zeros(n_texts, dtype=np.float64)
    for d in range(n_texts):
        if lengths[d] > 0:
            oov[d] = unknown[d] / lengths[d]
    return rows[:n], cols[:n], oov
