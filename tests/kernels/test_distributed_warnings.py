"""The warnings of a solve's host-side checks through client=: raised once on the client, as in one process;
and gpu_cluster's quiet start.

A LocalCluster of two CPU worker processes on Numba's CUDA simulator (the ``client`` fixture).
"""

import math
import warnings

import numpy as np
import pytest

import kernels

distributed = pytest.importorskip("distributed")


def _said(solve):
    """The kernels warnings ``solve()`` raised, as ``(category, text)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        solve()
    return [(w.category, str(w.message)) for w in caught if issubclass(w.category, UserWarning)]


def _both(make, client, solve_options, **spread_options):
    """What a solve says in one process and over the client, each with a fresh Integrator (its own caches)."""
    alone = _said(lambda: make().solve(**solve_options))
    spread = _said(lambda: make().solve(client=client, **solve_options, **spread_options))
    return alone, spread


def test_float32_far_from_t0_and_overflow_warnings_reach_the_client(client):
    """A float32 run from t0 = 7.4e5 ended 10 to 25 tolerances off with success and no word with client= (the
    workers saw params already rounded to float32); the overflow of (1e20 * 1e20) was not named either."""
    def seasonal(t, y, p, dydt):  # the frequency in params, far from t = 0
        dydt[0] = -0.1 * y[0] + math.sin(p[0] * t)

    def big(t, y, p, dydt):  # 1e40 overflows float32
        dydt[0] = -(1e20 * 1e20) * 1e-40 * y[0] * p[0]

    frequencies = np.array([[0.011], [0.019]])
    cases = ((kernels.ODESystem(seasonal, 1, n_params=1, name="seasonal"), (7.4e5, 7.4e5 + 30),
              dict(rtol=1e-5, atol=1e-6), kernels.ToleranceWarning),
             (kernels.ODESystem(big, 1, n_params=1, name="big"), (0.0, 1.0), {}, kernels.PrecisionWarning))
    for system, span, tolerances, category in cases:
        alone, spread = _both(lambda: kernels.Integrator(system, "tsit5", precision=np.float32), client,
                              dict(t_span=span, y0=[1.0], params=frequencies, **tolerances), chunk_size=1)
        assert [c for c, _ in alone] == [category]
        assert spread == alone


def test_a_host_check_warning_is_raised_once_whatever_the_number_of_chunks(client):
    """A StabilityWarning came back once per chunk that named a different trajectory (3 for 1), and a wrong jac's
    JacobianCheckWarning once per chunk (8 for 1)."""
    mu = np.array([[1.0], [1000.0], [2.0], [500.0]])
    vdp = kernels.van_der_pol()
    alone, spread = _both(lambda: kernels.Integrator(vdp, "rk4", precision=np.float64), client,
                          dict(t_span=(0.0, 0.02), y0=[2.0, 0.0], params=mu, dt=0.01), chunk_size=1)
    assert [c for c, _ in alone] == [kernels.StabilityWarning] and spread == alone

    def lin(t, y, p, dydt):
        dydt[0] = y[1]
        dydt[1] = -p[0] * y[0] - 3.0 * y[1]

    def lin_jac_transposed(t, y, p, J):
        J[0] = 0.0
        J[1] = -p[0]
        J[2] = 1.0
        J[3] = -3.0

    with pytest.warns(kernels.JacobianCheckWarning):
        system = kernels.ODESystem(lin, 2, n_params=1, jac=lin_jac_transposed, name="linT")
    alone, spread = _both(lambda: kernels.Integrator(system, "rodas5p", precision=np.float64), client,
                          dict(t_span=(0.0, 0.05), y0=[1.0, 0.0], params=np.linspace(1, 5, 4)[:, None]),
                          chunk_size=1)
    assert [c for c, _ in alone] == [kernels.JacobianCheckWarning] and spread == alone


def test_gpu_cluster_prints_no_dask_info_lines_unless_asked(capfd):
    """gpu_cluster() filled stderr with Dask's INFO lines (scheduler and workers starting) where a LocalCluster
    prints none."""
    with kernels.gpu_cluster([0]) as cluster, distributed.Client(cluster) as c:
        c.wait_for_workers(1)
    assert " - INFO - " not in capfd.readouterr().err
    with kernels.gpu_cluster([0], silence_logs=False) as cluster, distributed.Client(cluster) as c:
        c.wait_for_workers(1)
    assert " - INFO - " in capfd.readouterr().err
