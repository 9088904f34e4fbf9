"""Values read again after the steps (kernels.rematerialize): the same values as the plain operations.

What they are for, the registers they free in the fixed-step loop, is checked with the
fixed loop's compiled counts in ``test_fixed_loop`` (RK4 on Lorenz in 32 registers).
"""

import numpy as np
from numba import cuda

from kernels.rematerialize import rematerializers


def test_reread_and_grid_index_are_the_plain_operations():
    reread, grid_index = rematerializers()

    @cuda.jit
    def probe(values, out, index):
        i = cuda.grid(1)
        if i < out.shape[0]:
            out[i] = reread(values, i % values.shape[0])
            index[i] = grid_index()

    values = np.array([0.5, -2.25, 1e300, np.pi])
    out, index = np.zeros(10), np.zeros(10, np.int64)
    probe[3, 4](values, out, index)
    np.testing.assert_array_equal(out, values[np.arange(10) % 4])
    np.testing.assert_array_equal(index, np.arange(10))
