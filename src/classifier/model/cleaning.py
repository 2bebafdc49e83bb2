"""Text cleaning that never glues two words together.

Every character that is removed is replaced by a space, and runs of whitespace collapse to
one space, so ``"REUTERS/Benoit"`` becomes ``"reuters benoit"`` and ``"more\\n\\nAn"`` becomes
``"more an"``. The cleaner is a scikit-learn transformer so that it travels inside the
fitted pipeline: prediction cleans exactly as training did.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

from sklearn.base import BaseEstimator, TransformerMixin

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
    """Clean one text; see :class:`TextCleaner` for the options."""
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


class TextCleaner(TransformerMixin, BaseEstimator):
    """Lowercase, normalise digits and punctuation, collapse whitespace.

    Parameters
    ----------
    lowercase:
        Fold case.
    digits:
        ``keep`` leaves numbers; ``replace`` turns each number (``4.5``, ``12,400``) into the
        token ``0`` so figures share one feature; ``remove`` drops them.
    punctuation:
        ``space`` turns punctuation and symbols into spaces (``km/h`` -> ``km h``);
        ``keep`` leaves them for the tokenizer to split.
    normalize_unicode:
        Apply NFKC so full-width letters and ligatures match their plain forms.
    """

    def __init__(
        self,
        lowercase: bool = True,
        digits: DigitMode = "keep",
        punctuation: PunctMode = "space",
        normalize_unicode: bool = True,
    ) -> None:
        self.lowercase = lowercase
        self.digits = digits
        self.punctuation = punctuation
        self.normalize_unicode = normalize_unicode

    def fit(self, X: Iterable[str], y: object = None) -> TextCleaner:
        """Check the options; cleaning learns nothing from data."""
        if self.digits not in _DIGIT_MODES:
            raise ConfigError(
                f"preprocess.digits={self.digits!r} is not valid; choose one of {_DIGIT_MODES}"
            )
        if self.punctuation not in _PUNCT_MODES:
            raise ConfigError(
                f"preprocess.punctuation={self.punctuation!r} is not valid; "
                f"choose one of {_PUNCT_MODES}"
            )
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        """Clean every text."""
        return [
            clean_text(
                text,
                lowercase=self.lowercase,
                digits=self.digits,
                punctuation=self.punctuation,
                normalize_unicode=self.normalize_unicode,
            )
            for text in X
        ]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
