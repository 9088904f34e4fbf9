"""ODESystem's compile check on construction, on any machine (issue 11, item 2): functions a GPU cannot compile
are refused with their line and what to write instead; what it compiles (device-function helpers, math, reductions,
cuda.local and cuda.const arrays) is accepted.

The compile check runs the real CUDA compiler (NVVM from the ``compile`` extra) even on the
simulator, so every test here means the same on a CPU machine and on a GPU.  The other construction
checks are in ``test_systems.py``.
"""

import math
import random
import threading
import time
import warnings

import numba
import numpy as np
import pytest
from numba import cuda

import kernels
from kernels import CompileCheckWarning, ConfigurationError, ODESystem


# -- item 2: functions a GPU cannot compile, refused on any machine -------------------------------
def _zeros(t, y, p, dydt):
    work = np.zeros(2)
    work[0] = y[1]
    work[1] = -y[0]
    dydt[0] = work[0]
    dydt[1] = work[1]


_MATRIX = np.array([[2.0, 0.0], [0.0, 2.0]])


def _linalg(t, y, p, dydt):
    x = np.linalg.solve(_MATRIX, y)
    dydt[0] = x[0]
    dydt[1] = x[1]


def _sum_of_squares(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -np.sum(y * y)


def _list(t, y, p, dydt):
    values = [y[1], -y[0]]
    dydt[0] = values[0]
    dydt[1] = values[1]


def _list_comprehension(t, y, p, dydt):
    # the construction check stopped on an internal TypeError here (a user's trial)
    negated = [-y[i] for i in range(2)]
    dydt[0] = y[1]
    dydt[1] = negated[0]


def _imports_inside(t, y, p, dydt):
    import math

    dydt[0] = y[1]
    dydt[1] = -math.sin(y[0])


def _plain_helper(y):
    return -y[0]


def _calls_a_plain_helper(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = _plain_helper(y)


def _line_of(func, text):
    import inspect

    lines, first = inspect.getsourcelines(func)
    return first + next(i for i, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("func, text, words", [
    (_zeros, "work = np.zeros(2)", "No implementation of function zeros for zeros(Literal[int](2)) "
                                   "(device code cannot allocate arrays)"),
    (_linalg, "x = np.linalg.solve(_MATRIX, y)", "No implementation of function solve for solve("),
    (_sum_of_squares, "dydt[1] = -np.sum(y * y)", "an operation here creates a new array"),
    (_list, "values = [y[1], -y[0]]", "a Python list is built here. Device code has no Python lists"),
    (_list_comprehension, "negated = [-y[i] for i in range(2)]", "A list comprehension or a generator expression "
                                                                   "(sum(y[i] for i in ...)) builds a Python object"),
    (_imports_inside, "def _imports_inside(t, y, p, dydt):", "Device code cannot import: put the import"),
    (_calls_a_plain_helper, "dydt[1] = _plain_helper(y)", "Untyped global name '_plain_helper'"
                                                           ": Cannot determine Numba type of <class 'function'>. "
                                                           "A function it calls must be a CUDA device function "
                                                           "too: decorate the helper with "
                                                           "@numba.cuda.jit(device=True)"),
])
def test_uncompilable_rhs_is_refused_with_its_line(func, text, words):
    with pytest.raises(ConfigurationError) as info:
        ODESystem(func, 2, name="bad")
    message = str(info.value)
    assert message.startswith("rhs of system 'bad' does not compile for CUDA, so it would fail on a GPU "
                              f"(line {_line_of(func, text)} of {__file__}: {text})")
    assert words in message
    assert "compute capability 9.0, which needs no GPU" in message


def test_uncompilable_observables_are_refused():
    def decay(t, y, p, dydt):
        dydt[0] = -y[0]

    def energy(t, y, p, obs):
        obs[0] = np.sum(y * y)

    with pytest.raises(ConfigurationError, match="observables of system 'decay' does not compile for CUDA"):
        ODESystem(decay, 1, observables=energy, n_observables=1)


def test_uncompilable_jvp_is_refused():
    def decay(t, y, p, dydt):
        dydt[0] = -y[0]

    def jvp(t, y, p, v, out):
        out[:] = -np.asarray(v)

    with pytest.raises(ConfigurationError, match="jvp of system 'decay' does not compile for CUDA"):
        ODESystem(decay, 1, jvp=jvp)


def _seeds_numpy(t, y, p, dydt):
    np.random.seed(int(p[0]))
    dydt[0] = -y[0]


def _draws_numpy(t, y, p, dydt):
    dydt[0] = np.random.standard_normal() - y[0]


def _draws_stdlib(t, y, p, dydt):
    dydt[0] = random.gauss(0.0, 1.0) - y[0]


@pytest.mark.parametrize("func", [_seeds_numpy, _draws_numpy, _draws_stdlib])
def test_random_numbers_in_rhs_are_told_to_come_from_the_host(func):
    """np.random.seed(int(p[1])) in rhs was told "Device code cannot create arrays: no np.zeros ..." (a
    physicist's trial), and random.gauss the generic subset of Python."""
    with pytest.raises(ConfigurationError) as info:
        ODESystem(func, 1, n_params=1, name="noisy")
    message = str(info.value)
    assert message.startswith("rhs of system 'noisy' does not compile for CUDA")
    assert ("rhs cannot draw random numbers on the device: draw them on the host and pass them as parameters (a "
            "column of params per value), or compute a deterministic hash of the trajectory's parameters in a "
            "@cuda.jit(device=True) helper.") in message
    assert "cannot create arrays" not in message


@cuda.jit(device=True)
def _twice(x):
    return 2.0 * x


def _with_helper(t, y, p, dydt):
    dydt[0] = _twice(y[1]) + math.sin(t)
    dydt[1] = -y[0]


def test_what_a_gpu_compiles_is_accepted():
    """Built-in systems, closures, device-function helpers, math, reductions over an argument."""
    for system in (kernels.lorenz(), kernels.van_der_pol(), kernels.oscillator_chain(3)):
        assert system.n_states >= 2
    assert ODESystem(_with_helper, 2).n_states == 2

    def total(t, y, p, dydt):
        dydt[0] = -np.sum(y)  # a reduction over an array argument allocates nothing

    assert ODESystem(total, 1).n_states == 1


def test_a_built_again_system_costs_little():
    kernels.oscillator_chain(5)  # first build: compiled once
    start = time.perf_counter()
    for _ in range(20):
        kernels.oscillator_chain(5)
    assert (time.perf_counter() - start) / 20 < 0.05


_LOCK = threading.Lock()


def _uses_lock(t, y, p, dydt):
    dydt[0] = -y[0] if _LOCK is not None else 0.0


@pytest.mark.skipif(kernels.backend() == "cuda", reason="with a GPU the check runs in this process: no pickling")
def test_a_function_that_cannot_be_checked_warns_and_is_accepted():
    """Without a GPU the function travels to the compiler process; what cannot travel is not checked."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        system = ODESystem(_uses_lock, 1)
    assert system.n_states == 1
    assert any(issubclass(w.category, CompileCheckWarning) and "could not check that '_uses_lock' compiles"
               in str(w.message) for w in caught)


# -- a hand-kernel writer's habits: cuda.local / cuda.const arrays --------------------------------------------
_SCALES = np.array([1.0, 2.0])


@cuda.jit(device=True)
def _squares_with_scratch(y, out):
    scratch = cuda.local.array(2, np.float64)
    for i in range(2):
        scratch[i] = y[i] * y[i]
    for i in range(2):
        out[i] = scratch[i]


def _local_scratch(t, y, p, dydt):
    tmp = cuda.local.array(2, np.float64)
    for i in range(2):
        tmp[i] = -y[i] * cuda.const.array_like(_SCALES)[i]
    dydt[0] = tmp[0]
    dydt[1] = tmp[1]


def _helper_scratch(t, y, p, dydt):
    _squares_with_scratch(y, dydt)


def _numba_scratch(t, y, p, dydt):
    tmp = numba.cuda.local.array(2, numba.float64)  # through the numba module (a regression hunt)
    tmp[0], tmp[1] = -y[0], -2.0 * y[1]
    dydt[0] = tmp[0]
    dydt[1] = tmp[1]


@pytest.mark.parametrize("rhs, expected", [
    (_local_scratch, lambda y0, t: y0 * np.exp(-np.array([1.0, 2.0]) * t)),
    (_helper_scratch, lambda y0, t: y0 / (1.0 - y0 * t)),
])
def test_cuda_local_and_const_arrays_pass_the_host_checks_and_solve(rhs, expected):
    # Refused at construction ("module 'numba.cuda' has no attribute 'local'"): the host checks ran them outside a
    # kernel (a user's trial); the kernels compiled and ran them all along.
    system = ODESystem(rhs, 2, name=rhs.__name__.strip("_"))
    y0 = np.array([0.5, 0.25])
    res = kernels.solve_ivp(system, (0.0, 0.5), y0, method="rk4", dt=0.01, precision=np.float64, progress=False)
    assert res.success
    np.testing.assert_allclose(res.y[0, -1], expected(y0, 0.5), rtol=1e-8)


@pytest.mark.skipif(kernels.backend() != "simulator", reason="the simulator's limit; a GPU compiles the form")
def test_numba_cuda_local_arrays_pass_the_host_checks_and_the_simulator_says_how_to_run_them():
    # numba.cuda.local.array was refused at construction (the shim replaced only a global named cuda: a regression
    # hunt); it compiles for a GPU, and the simulator, which swaps only that global, says to write it so
    system = ODESystem(_numba_scratch, 2, name="numba_scratch")
    with pytest.raises(kernels.UserFunctionError, match=r"provides local and constant arrays only through a global "
                                                         r"named cuda: write `from numba import cuda`"):
        kernels.solve_ivp(system, (0.0, 0.05), [0.5, 0.25], method="rk4", dt=0.01, precision=np.float64,
                          progress=False)
