"""Runs of element moves folded into one intrinsic: the grammar, and bit-identical results on the CPU target.

The PTX of radau's kernel on the Brusselator was checked identical with and without the fold at
n = 12, 32, 64 and 128 when it was added (offline, sm_90), and its compile time went 23.0 -> 16.1 s
(n = 64) and 47.1 -> 31.6 s (n = 128): ``benchmarks/results/compile_time_2026-12-01/``.  Newton's
sparse ``prepare`` (the scaled forms, 2026-12-02): identical PTX for rodas4 at 32 and 128 states in
float32, sdirk4 at 32 (float64) and 128 (float32), kvaerno3 at 64 (float64), and with the dense LU
(sdirk4 at 8, rodas4 at 6 states) and adaptive steps in float64; sdirk4 at 128 states
compiles in 28.7 s instead of 40.1 (``benchmarks/results/compile_time_2026-12-02/``).
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
    assert parse_move("  m[4] = -c * jv[9] + ONE") == ("  ", ("m", 4), ("neg_scale_add", ("c", "ONE"), ("jv", 9)))
    assert parse_move("m[4] = -c * jv[9]") == ("", ("m", 4), ("neg_scale", "c", ("jv", 9)))
    assert parse_move("m[4] = w * jv[9] + s") == ("", ("m", 4), ("scale_add", ("w", "s"), ("jv", 9)))
    assert parse_move("m[4] = w * jv[9]") == ("", ("m", 4), ("scale", "w", ("jv", 9)))
    for other in ("a[i] = b[2]", "a[1] = b[2] * c", "a[1] = 2", "x = b[1]", "a[1, 2] = b[0]", "a[1] += b[0]",
                  "a[1] = 2 * b[0]", "a[1] = c * b[0] + 1", "a[1] = c * b[0] - s", "a[1] = -c * b[i]"):
        assert parse_move(other) is None, other


def _source(rng, count):
    lines = ["def f(a, b, s, t):"]
    for _ in range(count):
        dst = f"{'ab'[rng.integers(2)]}[{rng.integers(8)}]"
        src = f"{'ab'[rng.integers(2)]}[{rng.integers(8)}]"
        rhs = [src, "-" + src, f"s - {src}", f"ONE - {src}", "t", "ZERO", f"s * {src}", f"-s * {src} + ONE",
               f"-t * {src}", f"ONE * {src} + t"][rng.integers(10)]
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


def test_newtons_sparse_prepare_folds_into_moves():
    """Every store of ``M = I - c J`` in Newton's sparse prepare is a move (one intrinsic per run)."""
    import kernels
    from kernels.solvers import NewtonSettings, SparseLUSettings, jacobian_pattern
    from kernels.solvers.jacobian_assembly import sparse_prepare_lines

    n = 32
    pattern = jacobian_pattern(kernels.brusselator(n))
    for jvp in (True, False):  # compressed products, and jac's dense scratch
        newton = NewtonSettings(n, SparseLUSettings(n, pattern), analytic=True, jvp=jvp)
        source = "def prepare(t, c, y, p, u, tolerances, matrix, aux, region, persistent):\n" + \
            "\n".join(sparse_prepare_lines(newton)) + "\n    return 0\n"
        assert source.count("matrix[") == len(pattern)
        folded = fold_moves(source, {"ZERO": 0.0, "ONE": 1.0}, enabled=True)
        assert "matrix[" not in folded and "_MOVES_" in folded
