"""The compiled loops behind the batch n-gram lookup, against plain Python."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.model import kernels
from classifier.model.ngrams import _BYTE_CODES, packed_key


@settings(max_examples=100, deadline=None)
@given(st.sets(st.integers(0, 2**62), max_size=300), st.lists(st.integers(0, 2**62), max_size=50))
def test_hash_table_finds_every_key_and_nothing_else(keys, others):
    keys = sorted(keys)
    slots = kernels.build_table(np.array(keys, dtype=np.int64))
    position = {k: i for i, k in enumerate(keys)}
    queries = np.array(keys + others, dtype=np.int64)
    ids = kernels.word_ids(
        slots,
        np.arange(len(keys), dtype=np.int64),
        queries,
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
    )
    assert ids.tolist() == [position.get(q, -1) for q in queries.tolist()]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(max_codepoint=127), max_size=40), min_size=1, max_size=8))
def test_scanned_tokens_are_the_runs_of_two_or_more_letters_and_digits(texts):
    joined = "\n".join(texts)
    raw = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    ends = np.cumsum([len(t) + 1 for t in texts]) - 1
    keys, doc, long_at, starts, stops = kernels.scan_tokens(raw, _BYTE_CODES[True], ends)
    expected = [
        (d, m.group().lower())
        for d, text in enumerate(texts)
        for m in re.finditer(r"[A-Za-z0-9]{2,}", text)
    ]
    assert doc.tolist() == [d for d, _ in expected]
    short = [i for i, (_, token) in enumerate(expected) if len(token) <= 10]
    assert keys[short].tolist() == [packed_key(expected[i][1]) for i in short]
    assert long_at.tolist() == [i for i, (_, token) in enumerate(expected) if len(token) > 10]
    spans = [joined[a:b].lower() for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]
    assert spans == [token for _, token in expected if len(token) > 10]
