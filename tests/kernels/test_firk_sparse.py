"""The FIRK family (radau, gauss4) on the sparse LU: same numbers as the dense LU, SciPy's accuracy, memory, plan.

The Brusselator with 12 states (above LU_UNROLL, J a third full: solver "lu" goes sparse), float64.
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp as scipy_solve_ivp

from kernel_helpers import audit_allocations

import kernels
from kernels.errors import ConfigurationError
from kernels.methods import get_method
from kernels.solvers import LUSettings, SparseLUSettings
from kernels.steps import FIRKStepSettings

N = 12
BRUSSELATOR = kernels.brusselator(N)
Y0 = kernels.brusselator_initial(N)


def _variant(source):
    """The Brusselator giving J by ``jvp`` and ``jac`` (jvp is taken), ``jac`` alone, or neither."""
    if source == "jvp":
        return BRUSSELATOR
    jac = BRUSSELATOR.jac if source == "jac" else None
    return kernels.ODESystem(BRUSSELATOR.rhs, N, 3, name=f"brusselator_{N}_{source}", jac=jac,
                             default_params=BRUSSELATOR.default_params)


def _step(integrator):
    return integrator.settings.step


@pytest.mark.parametrize("method", ["radau", "gauss4"])
@pytest.mark.parametrize("source", ["jvp", "jac", "finite differences"])
def test_sparse_fixed_steps_match_dense(method, source):
    """Four fixed steps of 0.05 (h |J| about 3): the sparse blocks give the dense blocks' result to rounding."""
    system = _variant(source)
    runs = {}
    for linear in ("dense", "lu"):
        integrator = kernels.Integrator(system, method, controller="fixed", precision=np.float64, solver=linear)
        step = _step(integrator)
        assert (step.pattern is not None) == (linear == "lu")
        assert all(isinstance(lu, SparseLUSettings if linear == "lu" else LUSettings) for lu in step.lu_settings())
        runs[linear] = integrator.solve((0.0, 0.2), Y0, dt=0.05, rtol=1e-10, atol=1e-10)
        assert runs[linear].success and runs[linear].n_steps[0] == 4
    assert _step(kernels.Integrator(system, method, solver="lu")).jacobian == source
    np.testing.assert_allclose(runs["lu"].y, runs["dense"].y, rtol=1e-12, atol=1e-14)


def test_sparse_radau_adaptive_matches_scipy():
    """Adaptive radau on the sparse LU, t in [0, 1], rtol = atol = 1e-6: within one tolerance of SciPy Radau at
    1e-10, within 3 times SciPy Radau's error at 1e-6, and the dense LU's steps and numbers (to 1e-9)."""
    t_end, rtol, atol = 1.0, 1e-6, 1e-6
    params = np.array(BRUSSELATOR.default_params)
    f = BRUSSELATOR.host_rhs(params)
    ref = scipy_solve_ivp(f, (0.0, t_end), Y0, method="Radau", rtol=1e-10, atol=1e-10).y[:, -1]
    scipy = scipy_solve_ivp(f, (0.0, t_end), Y0, method="Radau", rtol=rtol, atol=atol).y[:, -1]
    runs = [kernels.solve_ivp(BRUSSELATOR, (0.0, t_end), Y0, method="radau", rtol=rtol, atol=atol,
                              precision=np.float64, solver=linear) for linear in ("lu", "dense")]
    sparse, dense = runs
    assert sparse.success and dense.success
    assert sparse.n_steps[0] == dense.n_steps[0]
    np.testing.assert_allclose(sparse.y, dense.y, rtol=1e-9, atol=1e-12)
    y = sparse.y[0, -1]
    assert np.max(np.abs(y - ref) / (atol + rtol * np.abs(ref))) < 1.0
    assert np.max(np.abs(y - ref)) <= 3.0 * np.max(np.abs(scipy - ref)) + 1e-12


def test_sparse_full_coupled_form_matches_transformed():
    """coupled="full" on the sparse LU (one 3n block and the n x n error filter) gives the transformed form's result."""
    runs = [kernels.solve_ivp(BRUSSELATOR, (0.0, 0.2), Y0, method="radau", rtol=1e-6, atol=1e-6,
                              precision=np.float64, solver=kernels.SolverOptions(coupled=coupled))
            for coupled in ("transformed", "full")]
    assert runs[0].success and runs[1].success and runs[0].n_steps[0] == runs[1].n_steps[0]
    np.testing.assert_allclose(runs[1].y, runs[0].y, rtol=1e-9, atol=1e-12)


def test_complex_block_fill_stays_sparse():
    """Interleaved states: the 2n x 2n block's L + U is at most J's (with fill) times the 2 x 2 coupling
    (measured 3.5 times: 188 entries at n = 12, 548 at n = 32, against 576 and 4096 dense)."""
    for n in (12, 32):
        step = _step(kernels.Integrator(kernels.brusselator(n), "radau", solver="lu"))
        real, pair = step.lu_settings()
        assert real.n == n and pair.n == 2 * n
        assert pair.nnz <= 4 * real.nnz, (real.nnz, pair.nnz)
        assert pair.nnz < (2 * n) ** 2 / (3 if n == 12 else 7)


def test_n32_radau_plan_has_no_dense_block():
    """Brusselator n = 32, adaptive radau: no planned buffer of the step holds a dense 2n x 2n (or n x n) matrix."""
    n = 32
    integ = kernels.Integrator(kernels.brusselator(n), "radau", precision=np.float32)
    plan = integ.plan("local", block_size=128)
    sizes = {name: entry.size_elems for name, entry in plan.by_name().items() if ".firk" in f".{name}"}
    assert any(name.endswith("lu_1.factor") for name in sizes), sorted(sizes)
    assert max(sizes.values()) < n * n, max(sizes.items(), key=lambda item: item[1])


@pytest.mark.parametrize("plan_kind", ["local", "shared", "greedy"])
@pytest.mark.parametrize("method, controller, coupled, source", [
    ("radau", None, "transformed", "jvp"), ("radau", None, "full", "finite differences"),
    ("gauss4", "fixed", "transformed", "jac")])
def test_sparse_allocations_equal_declarations(method, controller, coupled, source, plan_kind):
    """Every allocator of the sparse build (step, sparse LU children) is a declared buffer, placed as planned."""
    integ = kernels.Integrator(_variant(source), method, controller=controller, precision=np.float64,
                               solver=kernels.SolverOptions(coupled=coupled))
    assert _step(integ).pattern is not None
    audit_allocations(integ.build(integ.plan(plan_kind, block_size=32)))


def test_settings_refuse_what_they_cannot_build():
    with pytest.raises(ConfigurationError, match="LU only"):
        kernels.Integrator(BRUSSELATOR, "radau", solver="gmres")
    tableau = get_method("radau").tableau
    # a dense J from jvp products (a system that gives jvp and no jac): column by column
    assert FIRKStepSettings(tableau, N, jacobian="jvp").jacobian_label == f"jvp ({N} products)"
    with pytest.raises(ConfigurationError, match="jacobian"):
        FIRKStepSettings(tableau, N, jacobian="symbolic")
    with pytest.raises(ConfigurationError, match="outside"):
        FIRKStepSettings(tableau, N, pattern=((0, N),))



def test_integrator_names_the_firk_jacobian_path():
    """``Integrator.jacobian`` reports the FIRK step's choice (not None as for explicit methods), with its cost
    where the blocks' LU is sparse, as DIRK and Rosenbrock steps report theirs (radau said only 'jvp')."""
    assert kernels.Integrator(kernels.brusselator(32), "radau").jacobian == "jvp (compressed, 6 products)"
    assert kernels.Integrator(kernels.robertson(), "gauss4").jacobian == "jac"
    assert kernels.Integrator(_variant("finite differences"), "radau").jacobian == (
        "finite differences (compressed, 6 right-hand sides)")
    assert kernels.Integrator(_variant("finite differences"), "radau", solver="dense").jacobian == "finite differences"
    assert kernels.Integrator(kernels.robertson(), "rk4").jacobian is None
