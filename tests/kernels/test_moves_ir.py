"""Runs of element moves folded into one intrinsic: the grammar, and bit-identical results on the CPU target.

The PTX of radau's kernel on the Brusselator was checked identical with and without the fold at
n = 12, 32, 64 and 128 when it was added (offline, sm_90), and its compile time went 23.0 -> 16.1 s
(n = 64) and 47.1 -> 31.6 s (n = 128): ``benchmarks/results/compile_time_2026-12-01/``.
"""

import numpy as np
import pytest
from numba import njit

from kernels.moves_ir import fold_moves, parse_move


def test_the_grammar_of_a_move():
    assert parse_move("    fac_1[502] = L_1_1 - jm[251]") == ("    ", ("fac_1", 502), ("difference", "L_1_1", ("jm", 251)))
    assert parse_move("  a[0] = -b[3]") == ("  ", ("a", 0), ("negate", None, ("b", 3)))
    assert parse_move("a[7] = b[2]") == ("", ("a", 7), ("copy", None, ("b", 2)))
    assert parse_move("a[1] = ZERO") == ("", ("a", 1), ("value", "ZERO", None))
    for other in ("a[i] = b[2]", "a[1] = b[2] * c", "a[1] = 2", "x = b[1]", "a[1, 2] = b[0]", "a[1] += b[0]"):
        assert parse_move(other) is None, other


def _source(rng, count):
    lines = ["def f(a, b, s, t):"]
    for _ in range(count):
        dst = f"{'ab'[rng.integers(2)]}[{rng.integers(8)}]"
        src = f"{'ab'[rng.integers(2)]}[{rng.integers(8)}]"
        rhs = [src, "-" + src, f"s - {src}", f"ONE - {src}", "t", "ZERO"][rng.integers(6)]
        lines.append(f"    {dst} = {rhs}")
    lines.append("    return a[0] + b[7]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_folded_source_gives_the_same_bits(dtype, seed):
    rng = np.random.default_rng(seed)
    source = _source(rng, 80)
    namespace = {"ONE": dtype(1.0), "ZERO": dtype(0.0)}
    folded = fold_moves(source, namespace, min_run=64, enabled=True)
    assert folded.count("\n") == 3 and "    _MOVES_0((" in folded
    functions = []
    for text in (source, folded):
        scope = dict(namespace)
        exec(text, scope)  # noqa: S102 - the test's own source
        functions.append(njit(scope["f"]))
    a = rng.standard_normal(8).astype(dtype)
    a[3], a[5] = np.nan, -0.0
    b = rng.standard_normal(8).astype(dtype)
    outs = []
    for function in functions:
        x, y = a.copy(), b.copy()
        function(x, y, dtype(0.5), dtype(-0.0))
        outs.append(np.concatenate([x, y]).view(np.uint32 if dtype == np.float32 else np.uint64))
    assert np.array_equal(outs[0], outs[1])


def test_short_runs_and_the_simulator_keep_the_source():
    source = "def f(a):\n" + "".join(f"    a[{i}] = ZERO\n" for i in range(10)) + "    return a\n"
    assert fold_moves(source, {"ZERO": 0.0}, min_run=64, enabled=True) == source
    assert fold_moves(source, {"ZERO": 0.0}, min_run=2, enabled=False) == source


def test_a_scalar_of_another_precision_is_refused():
    source = "def f(a, s):\n" + "".join(f"    a[{i}] = s - a[{i + 1}]\n" for i in range(4)) + "    return a\n"
    scope = {}
    exec(fold_moves(source, scope, min_run=2, enabled=True), scope)  # noqa: S102
    with pytest.raises(Exception, match="(?i)typing|resolution|invalid use"):
        njit(scope["f"])(np.zeros(8, np.float32), 1.0)  # a float64 scalar into float32 moves
