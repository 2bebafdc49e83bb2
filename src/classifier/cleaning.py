"""Text cleaning that never glues two words together.

Every character that is removed is replaced by a space, and runs of whitespace collapse to
one space, so ``"REUTERS/Benoit"`` becomes ``"reuters benoit"`` and ``"more\\n\\nAn"`` becomes
``"more an"``. The cleaner is a scikit-learn transformer so that it travels inside the
fitted pipeline: prediction cleans exactly as training did.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable
from typing import Literal

from sklearn.base import BaseEstimator, TransformerMixin

from classifier.errors import ConfigError

DigitMode = Literal["keep", "replace", "remove"]
PunctMode = Literal["keep", "space"]

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def _combining_marks() -> str:
    """A regex class body of every combining mark (category M): accents and vowel signs are
    parts of words, though ``\\w`` does not match them."""
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code))[0] == "M":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


# Anything that is neither part of a word nor whitespace (punctuation, symbols, slashes),
# except a decimal or thousands separator between two digits, so "4.5" stays one number.
_PUNCT = re.compile(rf"[^\w\s.,{_combining_marks()}]+|(?<!\d)[.,]+|[.,]+(?!\d)")
# \w includes "_", which TF-IDF's token pattern would keep inside a token; treat it as punctuation.
_UNDERSCORE = re.compile(r"_+")
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_DIGIT_MODES = ("keep", "replace", "remove")
_PUNCT_MODES = ("keep", "space")


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
    text = _CONTROL.sub(" ", text)
    if lowercase:
        text = text.lower()
    if digits == "replace":
        text = _DIGITS.sub(" 0 ", text)
    elif digits == "remove":
        text = _DIGITS.sub(" ", text)
    if punctuation == "space":
        text = _UNDERSCORE.sub(" ", _PUNCT.sub(" ", text))
    return _SPACE.sub(" ", text).strip()


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
