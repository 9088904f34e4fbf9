"""kernels.batch_scan: the fast per-column magnitude of a host batch equals NumPy's plain reduction."""

import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from kernels.batch_scan import column_abs_max

FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=32)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), dtype=st.sampled_from([np.float32, np.float64]),
       rows=st.integers(0, 700), width=st.integers(1, 40))
def test_equals_numpy_abs_max_nan_and_inf_included(data, dtype, rows, width):
    arr = data.draw(hnp.arrays(dtype, (rows, width), elements=FLOATS))
    expected = np.abs(arr).max(axis=0) if rows else np.zeros(width, dtype)
    got = column_abs_max(arr)
    assert got.dtype == arr.dtype
    np.testing.assert_array_equal(got, expected)  # NaN equal to NaN here


def test_large_batch_with_one_bad_value_in_the_block_loop_and_in_the_tail():
    rng = np.random.default_rng(3)
    arr = rng.standard_normal((2 ** 16 + 37, 16)).astype(np.float32)
    np.testing.assert_array_equal(column_abs_max(arr), np.abs(arr).max(axis=0))
    arr[1000, 5] = np.nan  # inside the wide blocks
    arr[-1, 9] = -np.inf  # in the rows left over after the wide view
    got = column_abs_max(arr)
    assert np.isnan(got[5]) and got[9] == np.inf and np.isfinite(np.delete(got, [5, 9])).all()


def test_strided_and_one_dimensional_inputs():
    arr = np.arange(-60.0, 60.0).reshape(40, 3)
    np.testing.assert_array_equal(column_abs_max(arr[::3, ::2]), np.abs(arr[::3, ::2]).max(axis=0))
    np.testing.assert_array_equal(column_abs_max(np.array([1.0, -5.0, 2.0])), [5.0])
