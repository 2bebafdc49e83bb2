"""Fixed-point rows written with NumPy read as Python's %f writes them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from classifier.prediction.formatting import (
    fixed_point_cells,
    fixed_point_rows,
    joined_rows,
    padded,
)

KEYS = [b', "score_a": ', b', "score_b": ', b","]


def python_rows(values: np.ndarray, decimals: int) -> list[bytes]:
    return [
        b"".join(p + b"%.*f" % (decimals, v) for p, v in zip(KEYS, row, strict=True))
        for row in values.tolist()
    ]


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(0, 20), st.just(3)),
        elements=st.floats(-1e6, 1e6, allow_nan=False),
    ),
    st.sampled_from([0, 1, 4, 6]),
)
def test_rows_read_back_as_the_values_rounded(values, decimals):
    rows = fixed_point_rows(values, KEYS, decimals)
    assert len(rows) == len(values)
    for row, expected in zip(rows, values, strict=True):
        numbers = [float(part.split(b": ")[-1]) for part in row.split(b",")[1:] if part]
        assert len(numbers) == 3
        np.testing.assert_allclose(numbers, expected, rtol=0, atol=0.5 * 10**-decimals + 1e-9)


def test_typical_scores_are_written_exactly_as_percent_f():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0, 2, (500, 3)), [[-1234.5678901, 98765.4321, 0.0]]])
    assert fixed_point_rows(values, KEYS, 6) == python_rows(values, 6)


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 12), st.just(3)),
        elements=st.floats(-1e4, 1e4, allow_nan=False).map(lambda v: round(v, 3) + 1e-7),
    ),
    st.sampled_from([0, 2, 6]),
    st.data(),
)
def test_rows_and_kept_cells_equal_percent_f(values, decimals, data):
    """Every cell, or only the kept ones, exactly as %f writes them (values kept away
    from rounding ties, where the two may differ)."""
    keep = data.draw(arrays(bool, values.shape))

    def percent_f(v: float) -> bytes:  # with 0 for -0 (documented)
        text = b"%.*f" % (decimals, v)
        return text.lstrip(b"-") if float(text) == 0 else text

    def expected(mask: np.ndarray) -> list[bytes]:
        return [
            b"".join(p + percent_f(v) for p, v, m in zip(KEYS, row, cells, strict=True) if m)
            for row, cells in zip(values.tolist(), mask.tolist(), strict=True)
        ]

    assert fixed_point_rows(values, KEYS, decimals, keep) == expected(keep)
    assert fixed_point_rows(values, KEYS, decimals) == expected(np.ones_like(keep))


def test_signs_and_whole_digits():
    values = np.array([[-0.5, 10.25, -100.125], [-0.0000004, 0.0000005, 1e-9]])
    assert fixed_point_rows(values, KEYS, 2) == [
        b', "score_a": -0.50, "score_b": 10.25,-100.12',
        b', "score_a": 0.00, "score_b": 0.00,0.00',
    ]


def test_non_finite_and_huge_values_fall_back_to_python():
    values = np.array([[np.inf, -np.nan, 1.5], [1e300, -2.0, 0.25]])
    assert fixed_point_rows(values, KEYS, 3) == python_rows(values, 3)


def test_no_rows_and_mismatched_prefixes():
    assert fixed_point_rows(np.zeros((0, 3)), KEYS, 6) == []
    with pytest.raises(ValueError, match="2 prefixes for 3 columns"):
        fixed_point_rows(np.zeros((1, 3)), KEYS[:2], 6)


def test_only_the_kept_cells_are_written():
    values = np.array([[-0.5, 10.25, 3.0], [1.0, 2.0, 3.0], [np.inf, 1.0, 2.0]])
    keep = np.array([[True, False, True], [False, False, False], [True, True, False]])
    assert fixed_point_rows(values[:2], KEYS, 2, keep[:2]) == [
        b', "score_a": -0.50,3.00',
        b"",
    ]
    assert fixed_point_rows(values, KEYS, 1, keep)[2] == b', "score_a": inf, "score_b": 1.0'


no_nul = st.binary(max_size=12).map(lambda b: b.replace(b"\0", b"x"))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 6).flatmap(
        lambda n: st.lists(st.lists(no_nul, min_size=n, max_size=n), min_size=3, max_size=3)
    ),
    no_nul,
)
def test_joined_rows_are_each_rows_parts_in_order(columns, constant):
    """Matrices (one row each) and constant bytes side by side, rows one after another."""
    n = len(columns[0])
    joined = joined_rows([padded(columns[0]), constant, padded(columns[1]), padded(columns[2])])
    expected = b"".join(a + constant + b + c for a, b, c in zip(*columns, strict=True))
    assert joined.tobytes() == expected
    assert padded(columns[0]).shape[0] == n


@settings(max_examples=100, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(0, 8), st.just(3)), elements=st.floats(-1e6, 1e6)),
    st.sampled_from([0, 3, 6]),
    st.data(),
)
def test_cells_hold_the_rows_padded_with_nul(values, decimals, data):
    keep = data.draw(st.none() | arrays(bool, values.shape))
    cells = fixed_point_cells(values, KEYS, decimals, keep)
    assert [row[row != 0].tobytes() for row in cells] == fixed_point_rows(
        values, KEYS, decimals, keep
    )
    rows = fixed_point_rows(values, KEYS, decimals, keep)
    assert joined_rows([cells, b"\n"]).tobytes() == b"".join(r + b"\n" for r in rows)
