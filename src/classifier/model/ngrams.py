"""Columns of the word unigrams and bigrams of a whole batch of texts, found at once.

Why this exists: scikit-learn's analyzer, like any tokenizer in Python, makes one string
object and one dictionary lookup per token and per n-gram; for a news article that is
about 300 Python-level steps, most of the cost of scoring it. :class:`WordNgrams` finds
the tokens of plain ASCII texts with NumPy over the bytes of the whole batch, packs each
token losslessly into 64-bit integers (:mod:`classifier.model.token_keys`) and looks every
token up in pandas integer hash tables, then every pair of adjacent token ids (one int64
key per pair) in another: no Python object per token, except for the rare tokens longer
than 20 characters, which are looked up by their text. Texts with other characters go through
the cleaner and the vectorizer's own token pattern, one dictionary lookup per token. The
tables are built from the vocabulary with Arrow compute functions and NumPy, not one
Python call per term, so a 300,000-term model is ready in a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import repeat
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from classifier.model.packing import pack_strings, unpack_strings
from classifier.model.token_keys import (
    BYTE_CODES,
    LETTER_CODES,
    LONG,
    PACKED,
    LongWords,
    pack,
    word_keys,
)

# Tokens of two or more word characters: the scikit-learn default, stated so it is visible
# (the features' vectorizers use it, and the fast paths split texts by it).
WORD_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


def _vocabulary_words(vocabulary: Mapping[str, int], seen_words: list[str]):
    """Every word of the vocabulary's terms, unigrams first (in vocabulary order), then the
    other words of bigrams and ``seen_words``, as an Arrow string array of distinct words;
    with the unigram columns and, per bigram, its column and its two words' ids."""
    terms = pa.array(list(vocabulary), pa.string())
    columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
    is_pair = pc.match_substring(terms, " ").to_numpy(zero_copy_only=False)
    pairs = pc.split_pattern(terms.filter(pa.array(is_pair)), " ", max_splits=1)
    firsts, seconds = pc.list_element(pairs, 0), pc.list_element(pairs, 1)
    unigrams = terms.filter(pa.array(~is_pair))
    every = pa.concat_arrays([unigrams, firsts, seconds, pa.array(seen_words, pa.string())])
    words = pc.unique(every)  # in order of first appearance: unigrams keep ids 0..U-1
    ids = [pc.index_in(p, value_set=words).to_numpy().astype(np.int64) for p in (firsts, seconds)]
    return words, columns[~is_pair], columns[is_pair], ids


class Tokens(NamedTuple):
    """The tokens of a batch of texts, from :meth:`WordNgrams.tokenize`.

    ``keys``: the packed key of each token of the ASCII texts (found in their raw bytes;
    of its first 10 characters), ``key_doc`` its text; ``second_keys``: the key of the rest
    of those of 11 to 20 characters, at positions ``second_at``; ``long``: the text of
    longer ones, at positions ``long_at``; ``ids``: the word ids of the other texts'
    tokens, ``id_doc`` their text.
    """

    n_texts: int
    keys: np.ndarray
    key_doc: np.ndarray
    second_at: np.ndarray
    second_keys: np.ndarray
    long_at: np.ndarray
    long: list[str]
    ids: np.ndarray
    id_doc: np.ndarray


class WordNgrams:
    """Finds the vocabulary columns of the unigrams and bigrams of many texts.

    Parameters
    ----------
    vocabulary:
        A fitted ``TfidfVectorizer.vocabulary_`` of word unigrams and/or bigrams (terms of
        one word, or two joined by a space).
    ngram_range:
        The vectorizer's ``ngram_range``: (1, 1), (1, 2) or (2, 2).
    prepare:
        Cleans a list of texts as the fitted pipeline does before tokenizing.
    tokenize:
        The tokens of one prepared text (the vectorizer's token pattern).
    ascii_tokens:
        Whether the tokens of a prepared ASCII text are exactly its runs of two or more
        letters and digits (case-folded if ``lowercase``): true for the default cleaner and
        token pattern. Such texts are then tokenized from their raw bytes.
    lowercase:
        Fold ASCII case when tokenizing raw bytes.
    split_digits:
        Treat digits as separators when tokenizing raw bytes, for a cleaner that removes
        numbers (``digits="remove"``): the tokens of such a prepared ASCII text are its runs
        of two or more letters.
    seen_words:
        Words that are not unigrams of the vocabulary but count as known for the
        out-of-vocabulary rate (those a ``max_df`` cut left out).
    """

    def __init__(
        self,
        vocabulary: Mapping[str, int],
        ngram_range: tuple[int, int],
        prepare: Callable[[list[str]], list[str]],
        tokenize: Callable[[str], list[str]],
        ascii_tokens: bool,
        lowercase: bool,
        split_digits: bool = False,
        seen_words: Iterable[str] = (),
    ) -> None:
        self._configure(ngram_range, prepare, tokenize, ascii_tokens, lowercase, split_digits)
        seen_words = list(seen_words)
        # Every word of the vocabulary's terms gets an id (unigrams first); the
        # unigram column of a word that is only part of bigrams is -1.
        words, unigram_cols, bigram_cols, (first_ids, second_ids) = _vocabulary_words(
            vocabulary, seen_words
        )
        word_list = words.to_pylist()
        unigrams = np.full(len(word_list), -1, dtype=np.int64)
        unigrams[: len(unigram_cols)] = unigram_cols
        key_ids, first_keys, second_keys = word_keys(words)
        short = second_keys == 0  # words of at most 10 characters
        self._load(
            {
                "n_features": np.int64(len(vocabulary)),
                "unigram_cols": unigrams,
                "known": unigrams >= 0,  # counts as known for the out-of-vocabulary rate
                "bigram_keys": first_ids * max(len(word_list), 1) + second_ids,
                "bigram_cols": bigram_cols,
                "short_keys": first_keys[short],
                "short_ids": key_ids[short],
                **{
                    f"long.{k}": v
                    for k, v in LongWords(first_keys[~short], second_keys[~short], key_ids[~short])
                    .tables()
                    .items()
                },
            },
            word_list,
        )
        self._known[[self._words[w] for w in seen_words]] = True

    @classmethod
    def from_tables(
        cls,
        tables: Mapping[str, np.ndarray],
        ngram_range: tuple[int, int],
        prepare: Callable[[list[str]], list[str]],
        tokenize: Callable[[str], list[str]],
        ascii_tokens: bool,
        lowercase: bool,
        split_digits: bool = False,
    ) -> WordNgrams:
        """The lookup that :meth:`tables` describes, with the options of ``__init__``."""
        self = cls.__new__(cls)
        self._configure(ngram_range, prepare, tokenize, ascii_tokens, lowercase, split_digits)
        self._load(tables, unpack_strings(tables["words_text"], tables["words_offsets"]))
        return self

    def tables(self) -> dict[str, np.ndarray]:
        """The lookup's arrays, from which :meth:`from_tables` rebuilds it (no vocabulary)."""
        words_text, words_offsets = pack_strings(list(self._words))
        return {
            "n_features": np.int64(self.n_features),
            "words_text": words_text,
            "words_offsets": words_offsets,
            "unigram_cols": self._unigram_cols,
            "known": self._known,
            "bigram_keys": self._bigrams.to_numpy(),
            "bigram_cols": self._bigram_cols,
            "short_keys": self._short.to_numpy(),
            "short_ids": self._short_ids,
            **{f"long.{k}": v for k, v in self._long.tables().items()},
        }

    def _configure(self, ngram_range, prepare, tokenize, ascii_tokens, lowercase, split_digits):
        if tuple(ngram_range) not in ((1, 1), (1, 2), (2, 2)):
            raise ValueError(f"ngram_range {ngram_range} is not (1, 1), (1, 2) or (2, 2)")
        self.min_n, self.max_n = ngram_range
        self._prepare = prepare
        self._tokenize = tokenize
        self._ascii = ascii_tokens
        self._lowercase = lowercase
        self._byte_codes = (LETTER_CODES if split_digits else BYTE_CODES)[lowercase]

    def _load(self, tables: Mapping[str, np.ndarray], word_list: list[str]) -> None:
        self.n_features = int(tables["n_features"])
        self._words = dict(zip(word_list, range(len(word_list)), strict=True))
        self._unigram_cols = np.asarray(tables["unigram_cols"])
        self._known = np.asarray(tables["known"])
        self._n_words = max(len(word_list), 1)
        self._bigrams = pd.Index(tables["bigram_keys"])
        self._bigram_cols = np.asarray(tables["bigram_cols"])
        self._short_ids = np.asarray(tables["short_ids"])
        self._short = pd.Index(tables["short_keys"])
        self._long = LongWords.from_tables(
            {k.removeprefix("long."): v for k, v in tables.items() if k.startswith("long.")}
        )
        # Build the hash tables now, not on first use by concurrent threads.
        self._bigrams.get_indexer(np.zeros(1, dtype=np.int64))
        self._short.get_indexer(np.zeros(1, dtype=np.int64))

    def count(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row and column of every n-gram of ``texts`` found in the vocabulary (a column
        once per occurrence), and each text's out-of-vocabulary rate: the share of its
        tokens that are neither unigrams of the vocabulary nor ``seen_words`` (0 for a text
        without tokens)."""
        return self.lookup(self.tokenize(texts))

    def tokenize(self, texts: Sequence[str]) -> Tokens:
        """The tokens of ``texts``: packed keys for those of ASCII texts (from their raw
        bytes), word ids for the others' (cleaner and token pattern, one lookup each)."""
        if self._ascii and all(map(str.isascii, texts)):
            fast, rest = np.arange(len(texts)), np.zeros(0, dtype=np.int64)
        else:
            fast = np.asarray(
                [i for i, t in enumerate(texts) if t.isascii()] if self._ascii else [],
                dtype=np.int64,
            )
            rest = np.setdiff1d(np.arange(len(texts)), fast)
        plain = [texts[i] for i in fast] if len(rest) else texts
        keys, key_doc, seconds, long = self._ascii_tokens("\n".join(plain), plain)
        ids, id_doc = self._string_ids(self._prepare([texts[i] for i in rest]))
        return Tokens(len(texts), keys, fast[key_doc], *seconds, *long, ids, rest[id_doc])

    def lookup(self, tokens: Tokens) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`count` of the texts of ``tokens``: every token's word id in one hash
        lookup of the packed keys, then every pair of adjacent ids in another."""
        found = self._short.get_indexer(tokens.keys)
        ids = np.full(len(found), -1, dtype=np.int64)
        ids[found >= 0] = self._short_ids[found[found >= 0]]
        ids[tokens.second_at] = self._long.ids(tokens.keys[tokens.second_at], tokens.second_keys)
        get = self._words.get
        ids[tokens.long_at] = np.fromiter(
            map(get, tokens.long, repeat(-1)), np.int64, len(tokens.long)
        )
        doc = tokens.key_doc
        if len(tokens.ids):
            ids = np.concatenate([ids, tokens.ids])
            doc = np.concatenate([doc, tokens.id_doc])
            order = np.argsort(doc, kind="stable")  # tokens of a text stay in their order
            ids, doc = ids[order], doc[order]
        return self._columns(ids, doc, tokens.n_texts)

    def _ascii_tokens(self, joined: str, texts: Sequence[str]):
        """Packed key (of the first 10 characters) and text index of every token of ASCII
        ``texts`` (``joined``: the texts joined by newlines); the positions and second keys
        of those of 11 to 20 characters; the positions and (case-folded) text of longer
        ones."""
        empty = np.zeros(0, dtype=np.int64)
        if not texts:
            return empty, empty, (empty, empty), (empty, [])
        # "\n" is not a letter or digit: no token spans two texts. A leading separator
        # makes the changes between separators and word characters alternate start, end.
        raw = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
        codes = np.zeros(len(raw) + 17, dtype=np.uint8)
        np.take(self._byte_codes, raw, out=codes[1 : len(raw) + 1])
        word = codes[: len(raw) + 2].astype(bool)
        changes = np.flatnonzero(word[1:] != word[:-1])
        starts, ends = changes[0::2] + 1, changes[1::2] + 1
        keep = ends - starts >= 2  # the token pattern's "two or more word characters"
        starts, ends = starts[keep], ends[keep]
        lengths = ends - starts
        text_starts = np.ones(len(texts), dtype=np.int64)
        sizes = np.fromiter(map(len, texts), np.int64, len(texts))
        np.cumsum(sizes[:-1] + 1, out=text_starts[1:])
        text_starts[1:] += 1
        per_text = np.diff(np.searchsorted(starts, text_starts), append=len(starts))
        doc = np.repeat(np.arange(len(texts)), per_text)
        keys = pack(codes, starts, lengths)
        second_at = np.flatnonzero((lengths > PACKED) & (lengths <= LONG))
        seconds = pack(codes, starts[second_at] + PACKED, lengths[second_at] - PACKED)
        long_at = np.flatnonzero(lengths > LONG)
        spans = zip((starts[long_at] - 1).tolist(), (ends[long_at] - 1).tolist(), strict=True)
        long = [joined[s:e] for s, e in spans]
        if self._lowercase:
            long = [t.lower() for t in long]
        return keys, doc, (second_at, seconds), (long_at, long)

    def _string_ids(self, prepared: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Word ids (-1: unknown) and text index of every token of prepared texts."""
        get = self._words.get
        ids: list[int] = []
        lengths = np.zeros(len(prepared), dtype=np.int64)
        for row, text in enumerate(prepared):
            tokens = self._tokenize(text)
            lengths[row] = len(tokens)
            ids += map(get, tokens, repeat(-1, len(tokens)))
        doc = np.repeat(np.arange(len(prepared)), lengths)
        return np.asarray(ids, dtype=np.int64), doc

    def _columns(
        self, ids: np.ndarray, doc: np.ndarray, n_texts: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows and columns of the unigrams, then of the bigrams, each text by text (so a
        column's rows are in order, which the weighting's count matrix relies on for
        speed), and the out-of-vocabulary rates."""
        unigram = np.where(ids >= 0, self._unigram_cols[ids], -1)
        lengths = np.bincount(doc, minlength=n_texts)
        known = (ids >= 0) & self._known[ids]
        unknown = np.bincount(doc, weights=~known, minlength=n_texts)
        oov = np.divide(unknown, lengths, out=np.zeros(n_texts), where=lengths > 0)
        rows, cols = [], []
        if self.min_n == 1:
            known = unigram >= 0
            rows.append(doc[known])
            cols.append(unigram[known])
        if self.max_n == 2:
            a, b = ids[:-1], ids[1:]
            pair = (doc[1:] == doc[:-1]) & (a >= 0) & (b >= 0)
            found = self._bigrams.get_indexer(a[pair] * self._n_words + b[pair])
            hit = found >= 0
            rows.append(doc[:-1][pair][hit])
            cols.append(self._bigram_cols[found[hit]])
        return np.concatenate(rows), np.concatenate(cols), oov
