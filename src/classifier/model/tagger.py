"""The topic tagger: cleaning, TF-IDF features and a linear classifier in one estimator.

It follows scikit-learn's estimator API (``fit``/``predict``/``decision_function``) and
adds what a tagger needs beyond a bare classifier: label names, per-label decision
thresholds (optionally tuned on out-of-fold scores) and the "at least one label" rule.
Multi-label data is handled one-vs-rest; single-label data trains a multi-class model.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
from joblib import parallel_config
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import KFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.validation import check_is_fitted

from classifier.data.labels import label_index, label_indicator
from classifier.errors import ConfigError, DataError
from classifier.model.cleaning import TextCleaner
from classifier.model.decisions import LabelRules
from classifier.model.features import build_features, fit_features, frequent_words, is_stateless
from classifier.model.thresholds import FALLBACKS, Fallback, tune_thresholds


@contextmanager
def _quiet_constant_labels() -> Iterator[None]:
    """One-vs-rest warns for a label that is always (or never) present in a fold; that is
    expected for rare labels and handled (the label gets a constant score)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Label not .* is present in all training")
        yield


def _canonical(X):
    """Sort and deduplicate a sparse matrix's indices once, before threads share it.

    Estimators call ``sum_duplicates``/``sort_indices``, which rewrite the matrix in place
    unless it is flagged canonical; on a matrix shared by one-vs-rest threads that is a
    data race.
    """
    if sp.issparse(X):
        X.sum_duplicates()
        X.sort_indices()
    return X


def _model_scores(model: BaseEstimator, X) -> np.ndarray:
    """Decision values where the model has them, else probabilities; always 2-D."""
    if hasattr(model, "decision_function"):
        scores = model.decision_function(X)
    else:
        scores = model.predict_proba(X)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 1:  # binary single-label: one column for the positive class
        scores = np.column_stack([-scores, scores])
    return scores


class TopicTagger(BaseEstimator):
    """Tag texts with zero, one or several topics.

    Parameters
    ----------
    classifier:
        An unfitted scikit-learn classifier (``LinearSVC``, ``LogisticRegression``, ...).
        For multi-label data it is wrapped in :class:`~sklearn.multiclass.OneVsRestClassifier`.
    features:
        Text-to-matrix transformer; default: word TF-IDF.
    cleaner:
        Text cleaning step; default: :class:`~classifier.model.cleaning.TextCleaner`.
    at_least_one:
        Multi-label only: give each text its best label when no score reaches its threshold.
    tune_thresholds:
        Multi-label only: choose each label's threshold to maximise F1 on out-of-fold scores
        of the training data (``threshold_cv`` folds); the test split is never used.
    threshold_cv:
        Number of folds for threshold tuning.
    threshold_min_f1:
        A label whose best out-of-fold F1 stays below this gets its fallback threshold.
    threshold_fallback:
        The fallback: ``"default"`` keeps the default threshold, ``"rank"`` cuts where as
        many out-of-fold scores pass as the label has training examples.
    threshold_shrink:
        Move each threshold only this fraction of the way from the default to its tuned
        value. Fold models see less data than the final one, so their scores are less
        extreme and the tuned cuts overshoot; for rare labels they are also noisy.
    threshold_shrink_rare:
        The shrink of labels with fewer than ``threshold_rare_count`` training examples
        (None: ``threshold_shrink``). Their positives score low, so a larger shrink
        (lower cut) trades a few false positives for the recall macro-F1 depends on.
    threshold_rare_count:
        Training examples under which a label counts as rare.
    n_jobs:
        Parallel jobs for one-vs-rest fitting. Threads, not processes: liblinear and SGD
        release the GIL, and threads share the feature matrix instead of copying it.
    random_state:
        Seed of the threshold-tuning folds.
    """

    # sizes: scikit-learn estimators take every hyperparameter as its own __init__ argument
    # (get_params, clone and the config's tagger.* keys rely on it).
    def __init__(
        self,
        classifier: BaseEstimator,
        features: BaseEstimator | None = None,
        cleaner: BaseEstimator | None = None,
        at_least_one: bool = True,
        tune_thresholds: bool = False,
        threshold_cv: int = 5,
        threshold_min_f1: float = 0.3,
        threshold_shrink: float = 1.0,
        threshold_fallback: Fallback = "default",
        threshold_shrink_rare: float | None = None,
        threshold_rare_count: int = 50,
        n_jobs: int | None = None,
        random_state: int | None = 0,
    ) -> None:
        self.classifier = classifier
        self.features = features
        self.cleaner = cleaner
        self.at_least_one = at_least_one
        self.tune_thresholds = tune_thresholds
        self.threshold_cv = threshold_cv
        self.threshold_min_f1 = threshold_min_f1
        self.threshold_shrink = threshold_shrink
        self.threshold_fallback = threshold_fallback
        self.threshold_shrink_rare = threshold_shrink_rare
        self.threshold_rare_count = threshold_rare_count
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, texts: Iterable[str], labels: Iterable[Sequence[str]]) -> TopicTagger:
        """Learn the vocabulary, the classifier and the thresholds from labelled texts."""
        self._check_params()
        texts = list(texts)
        label_lists = [list(item) for item in labels]
        if len(texts) != len(label_lists):
            raise DataError(f"{len(texts)} texts but {len(label_lists)} label lists")
        names = sorted({name for item in label_lists for name in item})
        multilabel = any(len(item) != 1 for item in label_lists)
        cleaner = clone(self.cleaner) if self.cleaner is not None else TextCleaner()
        features = clone(self.features) if self.features is not None else build_features({})
        model = clone(self.classifier)
        if multilabel:
            model = OneVsRestClassifier(model, n_jobs=self.n_jobs)
        self._start(names, multilabel, cleaner, features, model)
        target = self._target(label_lists)

        cleaned = cleaner.fit_transform(texts)
        X = _canonical(fit_features(features, cleaned))
        self.frequent_words_ = frequent_words(features, cleaned)
        del cleaned
        if self.multilabel_ and self.tune_thresholds:
            oof = self._out_of_fold_scores(model, X, target)
            tuned = tune_thresholds(
                oof,
                target,
                self.default_threshold_,
                self.threshold_min_f1,
                self.threshold_fallback,
            )
            default = self.default_threshold_
            self.thresholds_ = default + self._shrinks(target) * (tuned - default)
        with _quiet_constant_labels(), parallel_config(backend="threading"):
            self.model_ = model.fit(X, target)
        return self

    def partial_fit(
        self,
        texts: Iterable[str],
        labels: Iterable[Sequence[str]],
        classes: Sequence[str] | None = None,
        multilabel: bool | None = None,
    ) -> TopicTagger:
        """One pass of the classifier's ``partial_fit`` over a chunk of labelled texts.

        For corpora larger than memory: the features must learn nothing from the data
        (``features=hashing``) and the classifier must have ``partial_fit`` (``model=sgd``).
        The first call declares the label names (``classes``) and whether the data is
        multi-label; thresholds stay at the default (tuning needs out-of-fold scores of the
        whole corpus). Multi-label data fits one binary copy of the classifier per label
        (scikit-learn's ``OneVsRestClassifier.partial_fit`` takes only multi-class targets)
        held in a ``OneVsRestClassifier``, the same fitted form :meth:`fit` produces. Labels
        outside ``classes`` are ignored; single-label rows must carry one known label.
        """
        first = not hasattr(self, "model_")
        if first:
            self._start_incremental(classes, multilabel)
        texts = list(texts)
        X = self.transformer_.transform(texts)
        target = self._target([list(item) for item in labels])
        if self.multilabel_:
            ovr = self.model_
            for j, estimator in enumerate(ovr.estimators_):
                estimator.partial_fit(X, target[:, j], classes=[0, 1])
            ovr.n_features_in_ = ovr.estimators_[0].n_features_in_
        else:
            self.model_.partial_fit(X, target, classes=np.arange(len(self.labels_)))
        return self

    def _start_incremental(self, classes: Sequence[str] | None, multilabel: bool | None) -> None:
        """The unfitted state of :meth:`partial_fit`'s first call."""
        self._check_params()
        if classes is None or multilabel is None:
            raise ConfigError("the first partial_fit call needs classes and multilabel")
        if not hasattr(self.classifier, "partial_fit"):
            raise ConfigError(
                f"model {type(self.classifier).__name__} cannot learn in chunks (no "
                "partial_fit); use model=sgd"
            )
        features = clone(self.features) if self.features is not None else build_features({})
        if not is_stateless(features):
            raise ConfigError(
                f"features {type(features).__name__} learn from the whole corpus, so they "
                "cannot be fitted chunk by chunk; use features=hashing"
            )
        cleaner = clone(self.cleaner) if self.cleaner is not None else TextCleaner()
        names = sorted(classes)
        model = clone(self.classifier)
        if multilabel:
            model = OneVsRestClassifier(model)
            model.estimators_ = [clone(self.classifier) for _ in names]
            model.label_binarizer_ = LabelBinarizer(sparse_output=True).fit(
                np.eye(len(names), dtype=int)
            )
        transformer = self._start(names, bool(multilabel), cleaner, features, model)
        transformer.fit([""])  # stateless steps: fitting only marks them fitted
        self.frequent_words_ = []  # no vocabulary, so no word is left out of it
        self.model_ = model

    def _check_params(self) -> None:
        if self.threshold_fallback not in FALLBACKS:
            raise ConfigError(
                f"tagger.threshold_fallback={self.threshold_fallback!r}: use one of {FALLBACKS}"
            )

    def _start(
        self,
        names: list[str],
        multilabel: bool,
        cleaner: BaseEstimator,
        features: BaseEstimator,
        model: BaseEstimator,
    ) -> Pipeline:
        """Set the label names, the text pipeline, the score kind and default thresholds."""
        if len(names) < 2:
            raise DataError(
                f"training data has {len(names)} distinct label(s) {names}; need at least two"
            )
        self.labels_ = names
        self.multilabel_ = multilabel
        self.transformer_ = Pipeline([("clean", cleaner), ("features", features)])
        self.score_kind_ = "decision" if hasattr(model, "decision_function") else "probability"
        self.default_threshold_ = 0.0 if self.score_kind_ == "decision" else 0.5
        self.thresholds_ = np.full(len(names), self.default_threshold_)
        return self.transformer_

    def _target(self, label_lists: list[list[str]]) -> np.ndarray:
        """What the classifier learns: the 0/1 label matrix, or class indices."""
        if self.multilabel_:
            return label_indicator(label_lists, self.labels_).astype(np.int64)
        return label_index(label_lists, self.labels_)

    def _shrinks(self, target: np.ndarray) -> np.ndarray:
        """Each label's threshold shrink: ``threshold_shrink_rare`` for rare labels."""
        shrink = np.full(target.shape[1], float(self.threshold_shrink))
        if self.threshold_shrink_rare is not None:
            rare = target.sum(axis=0) < self.threshold_rare_count
            shrink[rare] = float(self.threshold_shrink_rare)
        return shrink

    def _out_of_fold_scores(self, model: BaseEstimator, X, target: np.ndarray) -> np.ndarray:
        """Scores of each training text from a model that did not see it.

        The vocabulary and idf weights come from the whole training split; only the
        classifier is re-fitted per fold, which keeps tuning within a few fits' time.
        """
        folds = KFold(self.threshold_cv, shuffle=True, random_state=self.random_state)
        oof = np.zeros(target.shape, dtype=np.float64)
        with _quiet_constant_labels(), parallel_config(backend="threading"):
            for train_idx, val_idx in folds.split(X):
                fold_model = clone(model).fit(_canonical(X[train_idx]), target[train_idx])
                oof[val_idx] = _model_scores(fold_model, X[val_idx])
        return oof

    def transform_features(self, texts: Iterable[str]):
        """The cleaned, vectorised texts (a sparse matrix) the classifier sees."""
        check_is_fitted(self, "model_")
        return self.transformer_.transform(list(texts))

    def scores_from_features(self, X) -> np.ndarray:
        """Per-label scores (decision values or probabilities, see ``score_kind_``)."""
        return _model_scores(self.model_, X)

    def decision_function(self, texts: Iterable[str]) -> np.ndarray:
        """Per-label scores of each text, shape ``(n_texts, n_labels)``."""
        return self.scores_from_features(self.transform_features(texts))

    def label_rules(self) -> LabelRules:
        """The fitted labels and how scores become labels (thresholds, ``at_least_one``)."""
        check_is_fitted(self, "labels_")
        return LabelRules(
            tuple(self.labels_),
            bool(self.multilabel_),
            np.asarray(self.thresholds_, dtype=np.float64),
            bool(self.at_least_one),
        )

    def indicator_from_scores(
        self, scores: np.ndarray, thresholds: np.ndarray | None = None
    ) -> np.ndarray:
        """Boolean matrix of predicted labels from scores (multi-class: the best label)."""
        return self.label_rules().indicator(scores, thresholds)

    def predict_indicator(self, texts: Iterable[str]) -> np.ndarray:
        """Boolean matrix ``(n_texts, n_labels)`` of predicted labels."""
        return self.indicator_from_scores(self.decision_function(texts))

    def predict(self, texts: Iterable[str]) -> list[list[str]]:
        """The predicted labels of each text."""
        return self.labels_from_indicator(self.predict_indicator(texts))

    def labels_from_indicator(self, indicator: np.ndarray) -> list[list[str]]:
        """Label names of each row of a boolean indicator matrix."""
        return self.label_rules().names(indicator)

    def indicator_from_labels(self, labels: Iterable[Sequence[str]]) -> np.ndarray:
        """Boolean matrix of the given label lists; labels unknown to the model are ignored."""
        check_is_fitted(self, "labels_")
        return label_indicator(labels, self.labels_)
