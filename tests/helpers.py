"""Helpers shared by tests: synthetic articles written for the tests."""

from __future__ import annotations

import random

# Invented vocabulary per topic: enough signal for a linear model to learn in milliseconds.
TOPIC_WORDS = {
    "energy": "oil gas pipeline refinery electricity grid megawatt turbine coal fuel",
    "market": "shares stocks bonds index traders yields rally investors futures currency",
    "regulation": "regulator ruling licence ban fine ministry law compliance watchdog decree",
    "agriculture": "wheat harvest farmers cattle fertiliser soybean crop drought grain orchard",
}


def make_articles(n: int, seed: int = 0) -> tuple[list[str], list[list[str]]]:
    """``n`` synthetic articles with one or two topics each."""
    rng = random.Random(seed)
    topics = sorted(TOPIC_WORDS)
    texts, labels = [], []
    for _ in range(n):
        chosen = sorted(rng.sample(topics, rng.choice([1, 1, 2])))
        vocab = " ".join(TOPIC_WORDS[t] for t in chosen).split()
        words = [rng.choice(vocab) for _ in range(25)] + ["the", "said", "on", "Tuesday"]
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(chosen)
    return texts, labels
