"""The sparse LU's iteration matrix from compressed jvp products: the same solves as the dense jac's, less scratch.

A system that gives ``jvp`` has ``M = I - c J`` assembled over the pattern by one
product per group of structurally orthogonal columns; one that gives only
``jac`` keeps the ``n * n`` scratch.  Both are exact, so fixed-step solves agree
to rounding; the adaptive Robertson solve is checked against SciPy's Radau.
"""

import numpy as np
import pytest
from kernel_helpers import audit_allocations
from stiff_references import reference

import kernels
from kernels.errors import ConfigurationError
from kernels.solvers import GMRESSettings, LUSettings, NewtonSettings, SparseLUSettings, jacobian_source
from kernels.solvers.jacobian_assembly import column_groups
from kernels.solvers.options import SolverOptions
from kernels.systems import ODESystem


def jac_only(system):
    """``system`` without its jvp (the dense-scratch path)."""
    return ODESystem(system.rhs, system.n_states, system.n_params, name=system.name + "_jac", jac=system.jac,
                     default_params=system.default_params)


def jvp_only(system):
    """``system`` without its dense jac (the compressed path needs only jvp)."""
    return ODESystem(system.rhs, system.n_states, system.n_params, name=system.name + "_jvp", jvp=system.jvp,
                     default_params=system.default_params)


def _brusselator_steps(system, method, n, precision=np.float64):
    y0 = kernels.brusselator_initial(n)
    return kernels.solve_ivp(system, (0.0, 0.03), y0, None, method=method, dt=0.01, controller="fixed",
                             precision=precision, solver="lu")


@pytest.mark.parametrize("method, n", [("rodas4", 16), ("sdirk4", 20), ("rodas4", 24)])
def test_compressed_jvp_equals_dense_jac_on_the_brusselator(method, n):
    """Three fixed steps: compressed products (6) and the dense scratch give the same state to rounding."""
    system, both = jvp_only(kernels.brusselator(n)), kernels.brusselator(n)
    assert kernels.Integrator(system, method).jacobian == "jvp (compressed, 6 products)"
    assert kernels.Integrator(jac_only(both), method).jacobian == f"jac (dense {n} x {n} scratch)"
    compressed, dense = _brusselator_steps(system, method, n), _brusselator_steps(jac_only(both), method, n)
    assert compressed.n_steps[0] == dense.n_steps[0] == 3
    assert np.abs(dense.y[0, -1] - kernels.brusselator_initial(n)).max() > 1e-3  # it moved
    np.testing.assert_allclose(compressed.y[0, -1], dense.y[0, -1], rtol=1e-13, atol=1e-13)


def test_jvp_alone_is_enough_for_the_sparse_lu():
    """A system with jvp and no jac gets the compressed path, not finite differences."""
    system, n = kernels.brusselator(16), 16
    assert kernels.Integrator(jvp_only(system), "rodas4").jacobian == "jvp (compressed, 6 products)"
    # with jac too, 16 states take the dense scratch: the same state to rounding
    only, both = _brusselator_steps(jvp_only(system), "rodas4", n), _brusselator_steps(system, "rodas4", n)
    np.testing.assert_allclose(only.y, both.y, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("n, path", [(16, "jac (dense 16 x 16 scratch)"), (64, "jac (dense 64 x 64 scratch)"),
                                     (66, "jvp (compressed, 6 products)")])
def test_both_given_jac_up_to_64_states_products_above(n, path):
    """With jac and jvp, the measured rule of PRODUCTS_ABOVE: jac up to 64 states, products above."""
    assert kernels.Integrator(kernels.brusselator(n), "rodas4").jacobian == path


def test_a_dense_scratch_above_64_states_is_told_where_it_stays():
    """A method-of-lines user's trial: jac alone on a 128-state tridiagonal system took a 16384-word dense scratch,
    and nothing at plan_for or the solve said so; its label names local memory and the products a jvp would take."""
    assert kernels.Integrator(jac_only(kernels.brusselator(128)), "rodas4").jacobian == (
        "jac (dense 128 x 128 scratch, in local memory: a jvp takes 6 compressed products instead, twice as fast for "
        "rodas4 at 128 states)")


def _robertson(system, solver, t_end, **kwargs):
    return kernels.solve_ivp(system, (0.0, t_end), [1.0, 0.0, 0.0], None, method="rodas4", precision=np.float64,
                             solver=solver, **kwargs)


def test_robertson_sparse_jvp_equals_dense_jac_and_scipy():
    """Robertson (3 states) through the sparse LU: 20 fixed steps (dt 1e-3: larger ones need a Jacobian
    newer than y0's) equal the dense LU's to rounding; adaptive steps to t = 1 match SciPy's Radau
    (rtol 1e-10) to 1e-6 relative at rtol 1e-7 (measured: 4e-10)."""
    system = jvp_only(kernels.robertson())
    assert kernels.Integrator(system, "rodas4", solver="sparse").jacobian == "jvp (compressed, 3 products)"
    fixed = dict(dt=1e-3, controller="fixed")
    sparse, dense = _robertson(system, "sparse", 0.02, **fixed), _robertson(kernels.robertson(), "dense", 0.02, **fixed)
    assert sparse.n_steps[0] == 20
    np.testing.assert_allclose(sparse.y[0, -1], dense.y[0, -1], rtol=1e-12, atol=1e-16)
    adaptive = _robertson(system, "sparse", 1.0, rtol=1e-7, atol=1e-12)
    assert adaptive.success
    ref = reference("robertson", 1.0)[-1]
    np.testing.assert_allclose(adaptive.y[0, -1], ref, rtol=1e-6, atol=1e-12)


def test_column_groups_are_structurally_orthogonal_and_cover_every_column():
    n = 24
    pattern = SolverOptions().newton_for(kernels.brusselator(n)).linear.pattern
    groups = column_groups(n, pattern)
    assert sorted(j for g in groups for j in g) == list(range(n))
    rows = {j: {i for i, jj in pattern if jj == j} for j in range(n)}
    for group in groups:
        seen = set()
        for j in group:
            assert seen.isdisjoint(rows[j])
            seen |= rows[j]
    assert len(groups) == 6


def test_settings_name_the_path_and_its_scratch():
    n = 32
    options = SolverOptions()
    compressed = options.newton_for(jvp_only(kernels.brusselator(n)))
    scratch = options.newton_for(jac_only(kernels.brusselator(n)))
    assert compressed.jvp and compressed.analytic and not scratch.jvp and scratch.analytic
    sizes = {b.name: b.size_elems for b in compressed.buffer_settings().buffers}
    assert sizes == {"residual": n, "jac_vector": n, "jac_product": n}
    assert {b.name: b.size_elems for b in scratch.buffer_settings().buffers}["jac_dense"] == n * n
    dense_lu = SolverOptions(linear="dense").newton_for(kernels.brusselator(n))
    assert not dense_lu.jvp and jacobian_source(dense_lu) == "jac"
    # a dense LU takes products where the system gives jvp and no jac (kernels.solvers.newton)
    assert jacobian_source(NewtonSettings(n, LUSettings(n), analytic=True, jvp=True)) == f"jvp ({n} products)"
    with pytest.raises(ConfigurationError, match="jvp=True"):
        NewtonSettings(n, GMRESSettings(n), analytic=True, jvp=True)
    with pytest.raises(ConfigurationError, match="jvp=True"):
        NewtonSettings(n, SparseLUSettings(n, compressed.linear.pattern), analytic=False, jvp=True)


@pytest.mark.parametrize("plan_kind", ["local", "shared"])
@pytest.mark.parametrize("which", ["jvp", "jac"])
def test_memory_audit(which, plan_kind):
    """Declared equals allocated on both sparse paths (rodas4, Brusselator 16)."""
    system = jvp_only(kernels.brusselator(16)) if which == "jvp" else jac_only(kernels.brusselator(16))
    integ = kernels.Integrator(system, "rodas4", precision=np.float64, solver="sparse")
    declared, records = audit_allocations(integ.build(integ.plan(plan_kind, block_size=32)))
    names = {name for _, name in declared}
    assert ("jac_vector" in names) == (which == "jvp") and ("jac_dense" in names) == (which == "jac")
    for key, record in records.items():
        assert record.size_elems == max(declared[key].size_elems, 1 if plan_kind == "local" else 0)
