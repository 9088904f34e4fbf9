"""The drivers' evaluator: linear between samples, the end segments' lines continued outside them."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import cuda

from kernels.drivers import make_driver_evaluator

TIMES = np.array([0.0, 0.5, 2.0, 3.0])
VALUES = np.array([[1.0, 0.0], [2.0, -1.0], [0.5, 4.0], [0.5, 5.0]])


def _evaluate(ts):
    evaluate = make_driver_evaluator(2)

    @cuda.jit
    def run(ts, times, values, out):
        i = cuda.grid(1)
        if i < ts.shape[0]:
            evaluate(ts[i], times, values, out[i])

    out = np.zeros((len(ts), 2))
    run[1, len(ts)](np.asarray(ts, float), TIMES, VALUES, out)
    return out


def _line(t, lo, hi):
    w = (t - TIMES[lo]) / (TIMES[hi] - TIMES[lo])
    return VALUES[lo] + w * (VALUES[hi] - VALUES[lo])


@settings(max_examples=10, deadline=None)
@given(ts=st.lists(st.floats(-1.0, 4.0, allow_nan=False), min_size=1, max_size=8))
def test_drivers_are_the_piecewise_line_continued_past_the_samples(ts):
    got = _evaluate(ts)
    for t, row in zip(ts, got):
        seg = int(np.clip(np.searchsorted(TIMES, t, side="right") - 1, 0, len(TIMES) - 2))
        np.testing.assert_allclose(row, _line(t, seg, seg + 1), rtol=1e-12, atol=1e-12)


def test_samples_are_met_exactly():
    np.testing.assert_array_equal(_evaluate(TIMES), VALUES)


@pytest.mark.parametrize("t, want", [(3.5, [0.5, 5.5]), (-0.25, [0.5, 0.5])])
def test_past_the_ends(t, want):
    np.testing.assert_allclose(_evaluate([t])[0], want, rtol=1e-12)
