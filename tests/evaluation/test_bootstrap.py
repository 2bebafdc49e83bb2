"""Paired bootstrap and randomization test on synthetic predictions with a known difference."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from classifier.evaluation.bootstrap import METRICS, paired_bootstrap


def _predictions(rng, truth: np.ndarray, error: float) -> np.ndarray:
    """``truth`` with each cell flipped with probability ``error``."""
    return np.where(rng.random(truth.shape) < error, ~truth, truth)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    truth = rng.random((600, 12)) < 0.15
    return truth, _predictions(rng, truth, 0.08), _predictions(rng, truth, 0.04)


SKLEARN = {
    "micro_f1": lambda t, p: f1_score(t, p, average="micro", zero_division=0),
    "macro_f1": lambda t, p: f1_score(t, p, average="macro", zero_division=0),
    "weighted_f1": lambda t, p: f1_score(t, p, average="weighted", zero_division=0),
    "accuracy": accuracy_score,
}


@pytest.mark.parametrize("metric", METRICS)
def test_point_estimates_are_scikit_learns(data, metric):
    truth, a, b = data
    result = paired_bootstrap(truth, a, b, metric, samples=50, seed=0)
    assert result.score_a == pytest.approx(SKLEARN[metric](truth, a), abs=1e-12)
    assert result.score_b == pytest.approx(SKLEARN[metric](truth, b), abs=1e-12)
    assert result.delta == pytest.approx(result.score_b - result.score_a, abs=1e-15)
    assert result.ci_low <= result.delta <= result.ci_high


def test_same_seed_same_result_and_another_seed_another(data):
    truth, a, b = data
    first = paired_bootstrap(truth, a, b, "macro_f1", samples=300, seed=11)
    assert paired_bootstrap(truth, a, b, "macro_f1", samples=300, seed=11) == first
    other = paired_bootstrap(truth, a, b, "macro_f1", samples=300, seed=12)
    assert (other.ci_low, other.ci_high) != (first.ci_low, first.ci_high)
    assert other.delta == first.delta


def test_identical_models_differ_by_exactly_zero(data):
    truth, a, _ = data
    result = paired_bootstrap(truth, a, a.copy(), "micro_f1", samples=200, seed=0)
    assert (result.delta, result.ci_low, result.ci_high) == (0.0, 0.0, 0.0)
    assert result.p_value == 1.0


def test_a_clear_difference_is_significant_and_symmetric(data):
    truth, a, b = data
    forward = paired_bootstrap(truth, a, b, "micro_f1", samples=500, seed=3)
    backward = paired_bootstrap(truth, b, a, "micro_f1", samples=500, seed=3)
    assert forward.ci_low > 0 and forward.p_value < 0.01
    assert backward.delta == pytest.approx(-forward.delta)
    assert backward.ci_high < 0


def test_the_interval_covers_the_true_difference():
    """Samples from a large population: the population's difference is inside the 90%
    interval for about 90% of the samples."""
    rng = np.random.default_rng(0)
    population = rng.random((100_000, 5)) < 0.2
    a = _predictions(rng, population, 0.10)
    b = _predictions(rng, population, 0.09)
    true_delta = SKLEARN["micro_f1"](population, b) - SKLEARN["micro_f1"](population, a)
    covered = 0
    draws = 60
    for i in range(draws):
        rows = rng.integers(0, len(population), 800)
        result = paired_bootstrap(population[rows], a[rows], b[rows], "micro_f1", samples=400,
                                  confidence=0.9, seed=i)  # fmt: skip
        covered += result.ci_low <= true_delta <= result.ci_high
    # Binomial(60, 0.9): 47 or fewer happens with probability under 1%.
    assert covered >= 48, f"{covered} of {draws} intervals covered {true_delta:.4f}"


def test_thousands_of_articles_and_resamples_work_in_blocks():
    rng = np.random.default_rng(1)
    truth = rng.random((3000, 90)) < 0.013
    a, b = _predictions(rng, truth, 0.005), _predictions(rng, truth, 0.004)
    small = paired_bootstrap(truth, a, b, "macro_f1", samples=1200, seed=5, block=100)
    large = paired_bootstrap(truth, a, b, "macro_f1", samples=1200, seed=5, block=1200)
    assert small == large


def test_bad_arguments_are_refused(data):
    truth, a, b = data
    with pytest.raises(ValueError, match="unknown metric"):
        paired_bootstrap(truth, a, b, "f2")
    with pytest.raises(ValueError, match="confidence"):
        paired_bootstrap(truth, a, b, confidence=95)
