"""The cleaning step of the fitted pipeline: :class:`TextCleaner` applies the rules of
:mod:`classifier.model.cleaning_rules` (which never glue two words together), so that
they travel inside the model file and prediction cleans exactly as training did.
"""

from __future__ import annotations

from collections.abc import Iterable

from sklearn.base import BaseEstimator, TransformerMixin

from classifier.model.cleaning_rules import DigitMode, PunctMode, check_options, clean_texts


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
        check_options(self.digits, self.punctuation)
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        """Clean every text."""
        return clean_texts(X, **self.get_params())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
