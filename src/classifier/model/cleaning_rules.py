"""Text cleaning that never glues two words together.

Every character that is removed is replaced by a space, and runs of whitespace collapse to
one space, so ``"REUTERS/Benoit"`` becomes ``"reuters benoit"`` and ``"more\\n\\nAn"`` becomes
``"more an"``.

These are the rules; :class:`~classifier.model.cleaning.TextCleaner` applies them as a
step of the fitted pipeline, so prediction cleans exactly as training did. This module
does not import scikit-learn: prediction from cached scorer tables cleans without it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

from classifier.errors import ConfigError

DigitMode = Literal["keep", "replace", "remove"]
PunctMode = Literal["keep", "space"]

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
# A "." or "," followed by a digit is a decimal or thousands separator ("4.5", "12,400");
# it is set aside as a placeholder while every other punctuation mark becomes a space.
_POINT_IN_NUMBER = re.compile(r"\.(?=\d)")
_COMMA_IN_NUMBER = re.compile(r",(?=\d)")
# ASCII control characters as placeholders keep the text ASCII, where translate() is
# fastest; any such character already in the input is turned into a space first.
_POINT, _COMMA = "\x01", "\x02"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_DIGIT_MODES = ("keep", "replace", "remove")
_PUNCT_MODES = ("keep", "space")


class _PunctuationTable(dict):
    """``str.translate`` table: punctuation, symbols, control and format characters -> space.

    Filled from the Unicode database one character at a time, the first time a text holds
    it (building it whole takes over a second, which a prediction run would pay as soon as
    one article is not ASCII); other characters map to themselves. ``translate`` runs in
    C, several times faster than a regular expression over the same text. Combining marks
    (accents, vowel signs) are parts of words and stay; "_" counts as punctuation, since
    TF-IDF's token pattern would otherwise keep it inside a token.
    """

    def __init__(self) -> None:
        super().__init__()
        for code in range(128):
            self.__missing__(code)
        self[ord(_POINT)] = "."
        self[ord(_COMMA)] = ","

    def __missing__(self, code: int) -> str:
        char = chr(code)
        category = unicodedata.category(char)
        value = " " if category[0] in "PS" or category in ("Cc", "Cf") else char
        self[code] = value
        return value


@functools.cache
def _punctuation_table() -> _PunctuationTable:
    return _PunctuationTable()


def clean_text(
    text: str,
    lowercase: bool = True,
    digits: DigitMode = "keep",
    punctuation: PunctMode = "space",
    normalize_unicode: bool = True,
) -> str:
    """Clean one text; see :class:`~classifier.model.cleaning.TextCleaner` for the options."""
    if normalize_unicode:
        text = unicodedata.normalize("NFKC", text)
    if punctuation != "space":
        text = _CONTROL.sub(" ", text)
    if lowercase:
        text = text.lower()
    if digits == "replace":
        text = _DIGITS.sub(" 0 ", text)
    elif digits == "remove":
        text = _DIGITS.sub(" ", text)
    if punctuation == "space":
        if _POINT in text or _COMMA in text:
            text = text.replace(_POINT, " ").replace(_COMMA, " ")
        if "." in text:
            text = _POINT_IN_NUMBER.sub(_POINT, text)
        if "," in text:
            text = _COMMA_IN_NUMBER.sub(_COMMA, text)
        text = text.translate(_punctuation_table())
    return " ".join(text.split())


def check_options(digits: str, punctuation: str) -> None:
    """Raise a one-line ConfigError for a ``digits`` or ``punctuation`` mode that is not valid."""
    if digits not in _DIGIT_MODES:
        raise ConfigError(
            f"preprocess.digits={digits!r} is not valid; choose one of {_DIGIT_MODES}"
        )
    if punctuation not in _PUNCT_MODES:
        raise ConfigError(
            f"preprocess.punctuation={punctuation!r} is not valid; choose one of {_PUNCT_MODES}"
        )


def clean_texts(
    texts: Iterable[str],
    lowercase: bool = True,
    digits: DigitMode = "keep",
    punctuation: PunctMode = "space",
    normalize_unicode: bool = True,
) -> list[str]:
    """:func:`clean_text` of every text."""
    return [
        clean_text(
            text,
            lowercase=lowercase,
            digits=digits,
            punctuation=punctuation,
            normalize_unicode=normalize_unicode,
        )
        for text in texts
    ]
