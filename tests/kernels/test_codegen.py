"""Generated element loops (kernels.codegen): literal indices when unrolled, unsigned ones in a loop."""

import numpy as np
import pytest
from kernel_helpers import run_on_cuda_target
from numba import cuda

from kernels.codegen import UNROLL_STATES, compile_device, elementwise, index, loop_header


def test_index_folds_literals_and_keeps_a_loop_index_unsigned():
    assert index("3") == "3"
    assert index("3", 5, 2) == "17"
    assert index("i") == "i"
    assert index("i", offset=4) == "i + uint64(4)"
    assert index("i", 129) == "i * uint64(129)"
    assert index("i", 3, 1) == "i * uint64(3) + uint64(1)"
    assert loop_header(40, indent=2) == "        for i in range(uint64(40)):"


def _strided_copy(n):
    """A device function writing ``out[2 i + 1] = 2 x[i]`` for ``i < n``, from :func:`elementwise`."""
    lines = elementwise(n, lambda i: f"out[{index(i, 2, 1)}] = x[{i}] * TWO")
    return "def copy(x, out):\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("n", [3, UNROLL_STATES + 5])
def test_elementwise_writes_the_same_elements_unrolled_and_looped(n):
    source = _strided_copy(n)
    assert ("for i in range" in source) == (n > UNROLL_STATES)
    copy = compile_device(source, "copy", {"TWO": np.float64(2.0)})

    @cuda.jit
    def kernel(x, out):
        if cuda.grid(1) == 0:
            copy(x, out)

    x = np.arange(1.0, n + 1.0)
    out = np.zeros(2 * n + 1)
    kernel[1, 1](x, out)
    expected = np.zeros(2 * n + 1)
    expected[1::2] = 2.0 * x
    np.testing.assert_array_equal(out, expected)


_SCRIPT = """
import json, re, sys
import numpy as np
from numba import cuda, types
sys.path.insert(0, sys.argv[2])
from test_codegen import _strided_copy
from kernels.codegen import compile_device
from kernels.resources import _offline_device
n = int(sys.argv[1])
scope = {"copy": compile_device(_strided_copy(n), "copy", {"TWO": np.float32(2.0)})}
exec("def kernel(x, out):\\n    copy(x, out)\\n", scope)
array = types.Array(types.float32, 1, "C")
with _offline_device((9, 0)):
    ptx, _ = cuda.compile_ptx(scope["kernel"], (array, array), cc=(9, 0))
print(json.dumps(sorted(set(re.findall(r"\\b(selp\\.\\w+|cvt\\.\\w+\\.f64\\.\\w+)", ptx)))))
"""


def test_a_looped_index_compiles_without_negative_index_selects_or_float_conversions():
    # A signed loop index makes Numba select ``i + len`` for a negative ``i`` on every access (selp in
    # the PTX), which LLVM keeps; the offsets of codegen.index keep the index unsigned (and integer).
    import os

    found = run_on_cuda_target(_SCRIPT, str(UNROLL_STATES + 24), os.path.dirname(__file__))
    assert found == []
