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


def test_a_worker_warning_comes_once_with_dask_array_inputs_whatever_its_numbers(client):
    """rk4 at dt 3e-4 on a stiff model with dask-array params in chunks of 2: 8 StabilityWarnings for 16 trajectories
    (one a chunk: each chunk checks its own rows and names its own mode's rate, factor and stable dt), where one
    process raises 1 (a Dask user's trial)."""
    import dask.array as da

    def decay(t, y, p, dydt):
        dydt[0] = -p[0] * y[0]

    rates = np.linspace(1e4, 2e4, 6)[:, None]  # rk4 is stable below dt 2.8e-4 at rate 1e4: each chunk's text differs
    make = lambda: kernels.Integrator(kernels.ODESystem(decay, 1, n_params=1, name="decay"), "rk4",  # noqa: E731
                                      precision=np.float64)
    options = dict(t_span=(0.0, 0.003), y0=[1.0], dt=3e-4)
    alone = _said(lambda: make().solve(params=rates, **options))
    spread = _said(lambda: make().solve(params=da.from_array(rates, chunks=2), client=client, chunk_size=2, **options))
    # one process names the row that needs the smallest dt of all six; the first chunk, the worse of its own two
    assert [c for c, _ in alone] == [kernels.StabilityWarning] and "trajectory 5:" in alone[0][1]
    assert "(6 of the 6 trajectories checked" in alone[0][1]
    assert [c for c, _ in spread] == [kernels.StabilityWarning]
    first_chunk = alone[0][1].replace("trajectory 5:", "trajectory 1:").replace("6 of the 6", "2 of the 2")
    assert spread[0][1].startswith(first_chunk.split(" its Jacobian has")[0]), spread[0][1]
    assert "(2 of the 2 trajectories checked" in spread[0][1]
    assert spread[0][1].endswith(" [through client= each chunk checks its own rows: 3 of 3 chunks (between "
                                 "trajectories 0 and 5) drew this warning; the first chunk's text is shown]")


def test_float32_dask_rows_of_a_float64_solve_warn_as_numpy_rows_do(client):
    """A dask array of float32 params rounded from decimals gave no PrecisionWarning (the client's stand-in holds no
    values, and the workers converted the rows silently), where the same numpy rows warn; the row is counted in
    the batch."""
    import dask.array as da

    def decay(t, y, p, dydt):
        dydt[0] = -p[0] * y[0]

    rates = np.array([[0.5], [1.5], [0.25], [0.1]], np.float32)  # 0.5, 1.5, 0.25 are exact: row 3 is the first rounded
    make = lambda: kernels.Integrator(kernels.ODESystem(decay, 1, n_params=1, name="decay"), "tsit5",  # noqa: E731
                                      precision=np.float64)
    options = dict(t_span=(0.0, 0.1), y0=[1.0])
    alone = _said(lambda: make().solve(params=rates, **options))
    spread = _said(lambda: make().solve(params=da.from_array(rates, chunks=2), client=client, chunk_size=2,
                                        **options))
    assert [c for c, _ in alone] == [kernels.PrecisionWarning] and "trajectory 3's params[0] is 0.1" in alone[0][1]
    assert spread == alone


def test_warnings_of_different_kinds_from_the_chunks_are_each_raised():
    """One warning a kind (category, text with its numbers masked): the first chunk's text, and a different text,
    category or method name (rk4 against dop853) is another kind."""
    from types import SimpleNamespace

    from kernels.distributed_worker import raise_warnings

    def chunk(*said):
        return SimpleNamespace(_worker_warnings=said)

    decaying = "dt = 0.0003 is beyond {}'s stable step at trajectory {}: a decaying mode of rate {:.3g}"
    parts = [chunk((kernels.StabilityWarning, decaying.format("rk4", 0, 1e4))),
             chunk((kernels.StabilityWarning, decaying.format("rk4", 2, 2.5e4)),
                   (kernels.StabilityWarning, "an oscillation of frequency 5 at trajectory 3")),
             chunk((kernels.StabilityWarning, decaying.format("dop853", 4, -3e-7)),
                   (kernels.ToleranceWarning, "rtol = 1e-09 is below float32's resolution"))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raise_warnings(parts)  # without the chunks' ranges, the note names no trajectories
    said = [(w.category, str(w.message)) for w in caught]
    assert said == [(kernels.StabilityWarning, decaying.format("rk4", 0, 1e4) + " [through client= each chunk checks "
                     "its own rows: 2 of 3 chunks drew this warning; the first chunk's text is shown]"),
                    (kernels.StabilityWarning, "an oscillation of frequency 5 at trajectory 3"),
                    (kernels.StabilityWarning, decaying.format("dop853", 4, -3e-7)),
                    (kernels.ToleranceWarning, "rtol = 1e-09 is below float32's resolution")]


def test_gpu_cluster_prints_no_dask_info_lines_unless_asked(capfd):
    """gpu_cluster() filled stderr with Dask's INFO lines (scheduler and workers starting) where a LocalCluster
    prints none."""
    with kernels.gpu_cluster([0]) as cluster, distributed.Client(cluster) as c:
        c.wait_for_workers(1, timeout=300)
    assert " - INFO - " not in capfd.readouterr().err
    with kernels.gpu_cluster([0], silence_logs=False) as cluster, distributed.Client(cluster) as c:
        c.wait_for_workers(1, timeout=300)
    assert " - INFO - " in capfd.readouterr().err


def test_warnings_about_different_components_stay_apart():
    """A regression hunt (2026-12-05): with every number masked, a chunk's ToleranceWarning about y[:, 1] was merged
    into the first chunk's about y[:, 0], under a note that both chunks drew the same warning."""
    from types import SimpleNamespace

    from kernels.distributed_worker import raise_warnings, warning_kind

    said = "rtol = 1e-06 asks float32 for 2e-06 relative on y[:, {}] (at |y| = {})"
    assert warning_kind(kernels.ToleranceWarning, said.format(0, 1000)) != warning_kind(
        kernels.ToleranceWarning, said.format(1, 1000))
    assert warning_kind(kernels.ToleranceWarning, said.format(0, 1000)) == warning_kind(
        kernels.ToleranceWarning, said.format(0, 1))
    parts = [SimpleNamespace(_worker_warnings=((kernels.ToleranceWarning, said.format(0, 1000)),)),
             SimpleNamespace(_worker_warnings=((kernels.ToleranceWarning, said.format(1, 1000)),))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raise_warnings(parts)
    assert [str(w.message) for w in caught] == [said.format(0, 1000), said.format(1, 1000)]


def test_warnings_drawn_from_the_results_reach_the_client_and_a_host_check_stays_once(client):
    """A float32 prey that fell below float32's range and regrew (its success is wrong) gave a PrecisionWarning in one
    process and nothing through client=: the client dropped every chunk's warning of the categories its own host
    checks raise, those the solve drew from its results after the launch too (float32_rounding's ToleranceWarning
    as well).  The host check's ToleranceWarning (rtol 1e-8 below float32's resolution) is still raised once."""
    from test_float32_underflow import RM, _params

    make = lambda: kernels.Integrator(RM, "tsit5", precision=np.float32)  # noqa: E731
    options = dict(t_span=(0.0, 300.0), y0=[0.5, 0.5], params=_params(20.0, 10.0), rtol=1e-8, atol=1e-37,
                   progress=False)  # trajectory 0's prey falls to 5e-54; trajectory 1's (K = 10) stays in range
    alone, spread = _both(make, client, options, chunk_size=1)
    assert [c for c, _ in alone] == [kernels.ToleranceWarning, kernels.ToleranceWarning, kernels.PrecisionWarning]
    assert "ask for errors below float32's resolution" in alone[0][1]  # the host check's, before the launch
    assert "fell to " in alone[2][1] and "trajectory 0" in alone[2][1]
    assert [c for c, _ in spread] == [c for c, _ in alone]  # the host check's once, each drawn from the results
    assert spread[0] == alone[0] and spread[2] == alone[2]  # trajectory 1's prey stays in float32's range
    assert "took " in spread[1][1] and "2 of 2 chunks (between trajectories 0 and 1)" in spread[1][1]
