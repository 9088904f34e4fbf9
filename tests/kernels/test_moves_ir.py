"""Runs of element moves folded into one intrinsic: the grammar, and bit-identical results on the CPU target.

The PTX of radau's kernel on the Brusselator was checked identical with and without the fold at
n = 12, 32, 64 and 128 when it was added (offline, sm_90), and its compile time went 23.0 -> 16.1 s
(n = 64) and 47.1 -> 31.6 s (n = 128): ``benchmarks/results/compile_time_2026-12-01/``.  Newton's
sparse ``prepare`` (the scaled forms, 2026-12-02): identical PTX for rodas4 at 32 and 128 states in
float32, sdirk4 at 32 (float64) and 128 (float32), kvaerno3 at 64 (float64), and with the dense LU
(sdirk4 at 8, rodas4 at 6 states) and adaptive steps in float64; sdirk4 at 128 states
compiles in 28.7 s instead of 40.1 (``benchmarks/results/compile_time_2026-12-02/``).  The explicit
Runge-Kutta stage sums (element expressions, 2026-12-02): ``benchmarks/results/erk_fold_2026-12-02/``.
"""

import numpy as np
import pytest
from numba import njit

from kernels.moves_ir import FOLD_SWITCH, fold_moves, folding_off, parse_expression, parse_move


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


def _assert_same_bits(source, folded, namespace, a, b, s, t):
    """``f(a, b, s, t)`` of ``source`` (one run of statements) and of its ``folded`` form, both under ``njit``,
    leave the same bits in ``a`` and ``b``."""
    assert folded.count("\n") == 3 and "    _MOVES_0((" in folded
    outs = []
    for text in (source, folded):
        scope = dict(namespace)
        exec(text, scope)  # noqa: S102 - the test's own source
        x, y = a.copy(), b.copy()
        njit(scope["f"])(x, y, s, t)
        outs.append(np.concatenate([x, y]).view(np.uint32 if a.dtype == np.float32 else np.uint64))
    assert np.array_equal(outs[0], outs[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_folded_source_gives_the_same_bits(dtype, seed):
    rng = np.random.default_rng(seed)
    source = _source(rng, 80)
    namespace = {"ONE": dtype(1.0), "ZERO": dtype(0.0)}
    folded = fold_moves(source, namespace, min_run=64, enabled=True)
    a = rng.standard_normal(8).astype(dtype)
    a[3], a[5] = np.nan, -0.0
    _assert_same_bits(source, folded, namespace, a, rng.standard_normal(8).astype(dtype), dtype(0.5), dtype(-0.0))


def test_short_runs_and_the_simulator_keep_the_source():
    source = "def f(a):\n" + "".join(f"    a[{i}] = ZERO\n" for i in range(10)) + "    return a\n"
    assert fold_moves(source, {"ZERO": 0.0}, min_run=64, enabled=True) == source
    assert fold_moves(source, {"ZERO": 0.0}, min_run=2, enabled=False) == source


@pytest.mark.parametrize("value, off", [("0", True), ("off", True), (" No ", True), ("false", True), ("none", True),
                                        ("1", False),
                                        ("on", False), ("", False)])
def test_the_switch_reads_the_words_for_off(monkeypatch, value, off):
    """BUFFERPLAN_FOLD_IR=off was ignored in silence: only "0" turned the folds off."""
    monkeypatch.setenv(FOLD_SWITCH, value)
    assert folding_off() is off


def test_a_python_number_in_the_namespace_keeps_its_line():
    """Numba types a Python float global as float64; folded, it would take the arrays' precision."""
    source = "def f(a, s):\n" + "".join(f"    a[{i}] = C * a[{i + 1}]\n" for i in range(4)) + "    return a\n"
    assert fold_moves(source, {"C": 0.5}, min_run=2, enabled=True, expressions=True) == source
    assert "_MOVES_0" in fold_moves(source, {"C": np.float32(0.5)}, min_run=2, enabled=True)


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
        folded = fold_moves(source, {"ZERO": np.float64(0.0), "ONE": np.float64(1.0)}, enabled=True)
        assert "matrix[" not in folded and "_MOVES_" in folded


def test_the_grammar_of_an_element_expression():
    namespace = {"A2_0": np.float32(0.5), "PY": 0.5, "rhs": print}
    tree = parse_expression("    stage[3] = y[3] + hA2 * (k_0[3] + RA2_1 * k_1[3])", namespace)
    assert tree == ("    ", ("stage", 3), ("tree", ("add", ("load", "y", 3), ("mul", ("value", "hA2"), (
        "add", ("load", "k_0", 3), ("mul", ("value", "RA2_1"), ("load", "k_1", 3))))), None))
    assert parse_expression("e[0] = -A2_0 * k[1] - k[2]", namespace)[2][1] == (
        "sub", ("mul", ("neg", ("value", "A2_0")), ("load", "k", 1)), ("load", "k", 2))
    for other in ("e[0] = 2 * k[1]", "e[0] = PY * k[1]", "e[0] = k[1] / h", "e[0] = rhs(k[1])", "e[0] = k[i]",
                  "e[0] = k[1] ** 2", "e[0] = k[-1]", "x = k[1]", "A2_0[1] = k[0]", "e[0] = k[1, 2]", "e[0] = +k[1]",
                  "e[0] = k[1] +"):
        assert parse_expression(other, namespace) is None, other


def _expression_source(rng, count):
    lines = ["def f(a, b, s, t):"]
    leaves = ["a[{}]", "b[{}]", "s", "t", "C", "-a[{}]"]
    for _ in range(count):
        def expr(depth):
            if depth == 0 or rng.random() < 0.3:
                return leaves[rng.integers(len(leaves))].format(rng.integers(8))
            op = " + - *".split(" ")[rng.integers(1, 4)]
            text = f"{expr(depth - 1)} {op} {expr(depth - 1)}"
            return f"({text})" if rng.random() < 0.5 else text
        lines.append(f"    {'ab'[rng.integers(2)]}[{rng.integers(8)}] = {expr(3)}")
    lines.append("    return a[0] + b[7]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", [0, 1])
def test_folded_expressions_give_the_same_bits(dtype, seed):
    rng = np.random.default_rng(seed)
    source = _expression_source(rng, 40)
    namespace = {"C": dtype(1.0 / 3.0)}
    folded = fold_moves(source, namespace, min_run=2, enabled=True, expressions=True)
    a = rng.standard_normal(8).astype(dtype)
    a[2], a[6] = np.inf, -0.0
    _assert_same_bits(source, folded, namespace, a, rng.standard_normal(8).astype(dtype), dtype(0.7), dtype(-3.5))


def test_a_constant_of_another_precision_is_refused():
    source = "def f(a):\n" + "".join(f"    a[{i}] = C * a[{i + 1}] - a[{i}]\n" for i in range(4)) + "    return a\n"
    scope = {"C": np.float64(0.5)}
    exec(fold_moves(source, scope, min_run=2, enabled=True, expressions=True), scope)  # noqa: S102
    with pytest.raises(Exception, match="(?i)typing|resolution|invalid use"):
        njit(scope["f"])(np.zeros(8, np.float32))  # float64 constant into float32 statements


@pytest.mark.slow
def test_folded_steps_compile_to_the_same_ptx(tmp_path):
    """Tsit5 adaptive (shared stages, 4 states) and ROS3P on Robertson: the same PTX with and without the fold.

    Checked offline when added for every explicit method (3 to 24 states, both precisions, local, shared
    and auto plans), rodas4, ros3p, rodas5p, sdirk4 (LU and GMRES), kvaerno3/5, radau and gauss4: 32
    configurations, all identical up to the shared array's symbol (``benchmarks/results/erk_fold_2026-12-02/``).
    """
    import json

    from kernel_helpers import run_on_cuda_target

    from kernels.resources import ptxas_path

    if ptxas_path() is None:
        pytest.skip("needs the CUDA compiler (pip install 'bufferplan[compile]')")
    script = ("import sys; from benchmarks import fold_ptx; fold_ptx.main(sys.argv[1:]); "
              "import json; print(json.dumps(json.load(open(sys.argv[-1] + '/fold_ptx.json'))['rows']))")
    rows = run_on_cuda_target(script, "tsit5:pi:chain:4:float32:shared", "ros3p:pi:robertson:3:float64:local",
                              "--out", str(tmp_path))
    assert [r["case"][0] for r in rows] == ["tsit5", "ros3p"]
    assert all(r["same_ptx"] for r in rows), json.dumps(rows)[:2000]
    assert all(r["ptx_lines"] > 500 and r["ptxas"] == r["ptxas_unfolded"] for r in rows), rows
