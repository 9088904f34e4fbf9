"""What a method-of-lines user is told (a PDE user's trial): a user jac's dense n x n scratch named as the cause of a
local-memory refusal (kernels/planning.py), the stiffness note past 64 states (kernels/stiffness_note.py), and the
values of a one-parameter system given as a row (kernels/batch_layout.py)."""

import time

import numpy as np
import pytest
from kernel_helpers import heat_system

import kernels
from kernels import ConfigurationError


# -- a user jac's dense scratch beside the sparse LU -----------------------------------------------------------------

HEAT256_JAC = heat_system(256, jac=True)


@pytest.mark.parametrize("method, buffer", [("radau", "loop.firk.jacobian"),
                                            ("rodas5p", "loop.rosenbrock.newton.jac_dense"),
                                            ("kvaerno5", "loop.dirk.newton.jac_dense")])
def test_a_refusal_names_the_dense_jac_scratch_first_with_the_fixes_that_remove_it(method, buffer):
    """At 256 states the dense scratch a jac writes (512 KiB in float64) passed CUDA's local memory at block size 64
    beside a 6 KB sparse LU, and the refusal told the user to take the sparse LU they were on."""
    integrator = kernels.Integrator(HEAT256_JAC, method, solver="lu", precision=np.float64)
    with pytest.raises(ConfigurationError) as caught:
        integrator.plan("auto", block_size=64, device="h100")
    text = str(caught.value)
    assert text.startswith(f"plan='auto': {buffer}, the largest local buffer (524288 B), is the dense 256 x 256 "
                           "matrix the system's jac writes, of which the sparse LU reads only the pattern's entries: "
                           "remove it by giving jvp as well"), text
    assert "kernels.symbolic_system" in text and "dropping jac" in text
    assert "takes a sparse LU where" not in text
    assert "local memory: the plan:" in text  # the planner's own account follows


def test_no_scratch_is_blamed_with_a_dense_lu_or_with_jvp():
    """A dense LU's n x n matrix is needed anyway, and jvp (taken over jac above 64 states) leaves no scratch."""
    from kernels.planning import dense_jac_scratch

    dense = kernels.Integrator(heat_system(80, jac=True), "radau", solver="dense").settings.buffer_settings()
    products = kernels.Integrator(heat_system(80, jac=True, jvp=True), "rodas5p").settings.buffer_settings()
    scratch = kernels.Integrator(heat_system(80, jac=True), "radau").settings.buffer_settings()
    assert dense_jac_scratch(dense) is None and dense_jac_scratch(products) is None
    assert dense_jac_scratch(scratch) == ("loop.firk.jacobian", 80, 6400)


# -- the stiffness note past 64 states -------------------------------------------------------------------------------

def test_the_stiffness_note_speaks_for_a_128_point_grid():
    """tsit5 on the heat equation at 128 points succeeds in over 1000 steps held by stability; up to 64 states the
    message said so, at 65 and 128 it said plain success."""
    n = 128
    x = np.linspace(1.0, n, n) / (n + 1)
    y0 = np.sin(np.pi * x) + 0.3 * np.sin(3 * np.pi * x)
    res = kernels.solve_ivp(heat_system(n), (0.0, 0.07), y0, [1.0], method="tsit5", precision=np.float64,
                            progress=False)
    assert res.success and res.n_steps[0] >= 1000
    start = time.perf_counter()
    message = res.message(0)
    assert time.perf_counter() - start < 10.0  # about 0.5 s on the development machine
    assert "The problem looks stiff along its path" in message, message
    assert "method='radau' (within a few tolerances" in message


def test_a_system_reading_40_percent_of_its_states_past_64_is_not_followed():
    """Each dydt[i] reading 0.4 n states took the note 8 s at 65 states and 51 s at 128 (a regression hunt): a
    pattern past NOTE_SHARE is not followed."""
    from kernels.stiffness_note import NOTE_SHARE, note_sparsity

    n, k = 70, 28

    def wide(t, y, p, dydt):
        for i in range(n):
            total = 0.0
            for m in range(k):
                total += 0.01 * y[(i + 7 * m + 1) % n]
            dydt[i] = total - y[i]

    system = kernels.ODESystem(wide, n_states=n, name="wide70", check=False)
    assert k / n > NOTE_SHARE
    assert note_sparsity(system, 0.0, np.linspace(0.5, 1.0, n), np.zeros(0)) == "dense"


def test_a_dense_coupled_system_past_64_states_is_not_followed():
    """Each state judged costs n right-hand sides of n^2 terms (175 s at 128 states): no pattern, no note."""
    from kernels.stiffness_note import note_sparsity

    n = 96
    coupling = np.random.default_rng(1).standard_normal((n, n)) / n

    def dense(t, y, p, dydt):
        for i in range(n):
            total = 0.0
            for j in range(n):
                total += coupling[i, j] * y[j]
            dydt[i] = total - 1e4 * y[i]

    system = kernels.ODESystem(dense, n_states=n, name="dense96", check=False)
    assert note_sparsity(system, 0.0, np.linspace(0.5, 1.0, n), np.zeros(0)) == "dense"
    banded = note_sparsity(heat_system(n), 0.0, np.linspace(0.5, 1.0, n), np.ones(1))
    assert banded.nnz == 3 * n - 2


# -- a one-parameter system's values given as a row ------------------------------------------------------------------

def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


DECAY = kernels.ODESystem(_decay, n_states=1, n_params=1, name="decay1")


@pytest.mark.parametrize("params, remedy", [(np.array([[0.1, 0.2, 0.3]]), "params.T or params.reshape(-1, 1)"),
                                            ([[0.1, 0.2, 0.3]], "np.reshape(params, (-1, 1))")])
def test_values_of_the_one_parameter_given_as_a_row_are_told_to_go_in_a_column(params, remedy):
    """A (1, 3) params was told "most likely 1 trajectories ... 2 columns are too many (an ID or a label?) ... the
    order the rhs reads p[0], ..., p[0]"."""
    with pytest.raises(ConfigurationError) as caught:
        kernels.solve_ivp(DECAY, (0.0, 1.0), [1.0], params, method="rodas5p", progress=False)
    text = str(caught.value)
    assert text.endswith("got shape (1, 3): that looks like 3 values of the system's one parameter given as a row; "
                         f"pass them as a column, shape (3, 1), one row per trajectory: {remedy}"), text
    assert "p[0], ..., p[0]" not in text and "1 trajectories" not in text


def test_a_one_parameter_system_is_told_the_one_entry_its_rhs_reads():
    with pytest.raises(ConfigurationError) as caught:
        kernels.solve_ivp(DECAY, (0.0, 1.0), [1.0], {"k": np.array([0.1, 0.2])}, progress=False)
    assert "in the order the rhs reads p[0];" in str(caught.value), str(caught.value)
    from kernels.batch_layout import rhs_reads

    assert [rhs_reads("p", w) for w in (1, 2, 5)] == ["p[0]", "p[0], p[1]", "p[0], ..., p[4]"]
