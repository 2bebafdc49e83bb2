"""Columns of the word unigrams and bigrams of a whole batch of texts, found at once.

Why this exists: scikit-learn's analyzer, like any tokenizer in Python, makes one string
object and one dictionary lookup per token and per n-gram; for a news article that is
about 300 Python-level steps, most of the cost of scoring it. :class:`WordNgrams` finds
the tokens of plain ASCII texts with NumPy over the bytes of the whole batch, packs each
token of up to 10 characters losslessly into one 64-bit integer (6 bits per letter or
digit, so two different tokens never share a key) and looks every token up in a pandas
integer hash table, then every pair of adjacent token ids (one int64 key per pair) in
another: no Python object per token, except for the few tokens longer than 10
characters, which are looked up by their text. Texts with other characters go through
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

# Tokens of two or more word characters: the scikit-learn default, stated so it is visible
# (the features' vectorizers use it, and the fast paths split texts by it).
WORD_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_ALNUM = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PACKED = 10  # characters packed into one key: 10 x 6 bits fit an int64
_CODE = np.zeros(256, dtype=np.int64)  # 1..62 for letters and digits, 0 for the rest
_CODE[np.frombuffer(_ALNUM, dtype=np.uint8)] = np.arange(1, len(_ALNUM) + 1)
_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[ord("A") : ord("Z") + 1] += ord("a") - ord("A")
_BYTE_CODES = {False: _CODE.astype(np.uint8), True: _CODE.astype(np.uint8)[_LOWER]}
# The same codes with digits as separators, for texts whose cleaner removes numbers.
_NO_DIGITS = _CODE.astype(np.uint8)
_NO_DIGITS[np.frombuffer(b"0123456789", dtype=np.uint8)] = 0
_LETTER_CODES = {False: _NO_DIGITS, True: _NO_DIGITS[_LOWER]}


def packed_key(token: str) -> int | None:
    """The 64-bit key of an ASCII letters-and-digits token of at most 10 characters (else
    None), as :meth:`WordNgrams.count` computes it for every such token of a text: the
    6-bit code of its i-th character at bits ``6 i``."""
    if not (len(token) <= _PACKED and token.isascii() and token.isalnum()):
        return None
    return sum(int(_CODE[char]) << (6 * i) for i, char in enumerate(token.encode("ascii")))


_BYTE_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)


def _u64(value: int) -> np.uint64:
    return np.uint64(value)


def _pack(codes: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
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


def _word_keys(words: pa.StringArray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`packed_key` of every word that has one, and those words' indices."""
    offsets = np.frombuffer(words.buffers()[1], dtype=np.int32)[words.offset :][: len(words) + 1]
    data = np.frombuffer(words.buffers()[2], dtype=np.uint8)[: offsets[-1]]
    codes = np.concatenate([_CODE.astype(np.uint8)[data], np.zeros(16, np.uint8)])
    starts, lengths = offsets[:-1].astype(np.int64), np.diff(offsets).astype(np.int64)
    # A word has a key if it is 1 to 10 letters or digits: no byte of code 0.
    zeros = np.concatenate([[0], np.cumsum(codes[: len(data)] == 0)])
    ok = (lengths >= 1) & (lengths <= _PACKED) & (zeros[starts + lengths] == zeros[starts])
    index = np.flatnonzero(ok)
    return _pack(codes, starts[index], lengths[index]), index


class Tokens(NamedTuple):
    """The tokens of a batch of texts, from :meth:`WordNgrams.tokenize`.

    ``keys``: the packed key of each token of the ASCII texts (found in their raw bytes),
    ``key_doc`` its text; ``long``: the text of those over 10 characters, at positions
    ``long_at``; ``ids``: the word ids of the other texts' tokens, ``id_doc`` their text.
    """

    n_texts: int
    keys: np.ndarray
    key_doc: np.ndarray
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
        short_keys, short_ids = _word_keys(words)
        self._load(
            {
                "n_features": np.int64(len(vocabulary)),
                "unigram_cols": unigrams,
                "known": unigrams >= 0,  # counts as known for the out-of-vocabulary rate
                "bigram_keys": first_ids * max(len(word_list), 1) + second_ids,
                "bigram_cols": bigram_cols,
                "short_keys": short_keys,
                "short_ids": short_ids,
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
        }

    def _configure(self, ngram_range, prepare, tokenize, ascii_tokens, lowercase, split_digits):
        if tuple(ngram_range) not in ((1, 1), (1, 2), (2, 2)):
            raise ValueError(f"ngram_range {ngram_range} is not (1, 1), (1, 2) or (2, 2)")
        self.min_n, self.max_n = ngram_range
        self._prepare = prepare
        self._tokenize = tokenize
        self._ascii = ascii_tokens
        self._lowercase = lowercase
        self._byte_codes = (_LETTER_CODES if split_digits else _BYTE_CODES)[lowercase]

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
        keys, key_doc, long_at, long = self._ascii_tokens("\n".join(plain), plain)
        ids, id_doc = self._string_ids(self._prepare([texts[i] for i in rest]))
        return Tokens(len(texts), keys, fast[key_doc], long_at, long, ids, rest[id_doc])

    def lookup(self, tokens: Tokens) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`count` of the texts of ``tokens``: every token's word id in one hash
        lookup of the packed keys, then every pair of adjacent ids in another."""
        found = self._short.get_indexer(tokens.keys)
        ids = np.full(len(found), -1, dtype=np.int64)
        ids[found >= 0] = self._short_ids[found[found >= 0]]
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
        """Packed keys and text index of every token of ASCII ``texts`` (``joined``: the
        texts joined by newlines), and the positions and (case-folded) text of those
        longer than 10 characters."""
        if not texts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, []
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
        text_starts = np.cumsum([1] + [len(t) + 1 for t in texts[:-1]])
        per_text = np.diff(np.searchsorted(starts, text_starts), append=len(starts))
        doc = np.repeat(np.arange(len(texts)), per_text)
        keys = _pack(codes, starts, lengths)
        long_at = np.flatnonzero(lengths > _PACKED)
        spans = zip((starts[long_at] - 1).tolist(), (ends[long_at] - 1).tolist(), strict=True)
        long = [joined[s:e] for s, e in spans]
        if self._lowercase:
            long = [t.lower() for t in long]
        return keys, doc, long_at, long

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
