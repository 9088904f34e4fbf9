"""Every IVPResult field through client=: summaries, events, counters, the stiffness hint (issue #13).

A LocalCluster of two CPU worker processes on Numba's CUDA simulator; each
distributed result is compared bit for bit with the same solve in one process.
"""

import dataclasses

import numpy as np
import pytest

from kernel_helpers import kill_a_running_chunk

import kernels
from kernels.distributed_results import ON_CLIENT, PER_TRAJECTORY, SHARED

distributed = pytest.importorskip("distributed")

CHAIN = kernels.oscillator_chain(1)  # states (x, v), one observable (energy), params (k, damping)
Y0 = np.array([[1.0, 0.0], [0.3, 0.0], [0.8, 0.1], [0.2, -0.1]])  # the terminal event stops rows 0 and 2
T_EVAL = [1.0, 2.5, 4.0]
STATS = ("mean", "min", "max", "rms", "argmax", "final")


def _featured(save_trajectory=True, per="save", method="tsit5"):
    """An Integrator with summaries, a counted and a terminal event; its functions are lambdas (sent by value)."""
    events = (kernels.Event(lambda t, y, p: y[1]),  # extrema of x: counted
              kernels.Event(lambda t, y, p: y[0] + 0.5, terminal=True, direction=-1))
    summaries = kernels.Summaries(states=[0, 1], observables=[0], stats=STATS, per=per)
    return kernels.Integrator(CHAIN, method, precision=np.float64, summaries=summaries, events=events,
                              save_trajectory=save_trajectory)


def _assert_identical(result, local):
    """Every field of ``result`` equals ``local``'s bit for bit (the plan by layout; the probe by its hint)."""
    for field in dataclasses.fields(kernels.IVPResult):
        ours, theirs = getattr(result, field.name), getattr(local, field.name)
        if field.name == "plan":
            assert kernels.layout_digest(ours) == kernels.layout_digest(theirs)
        elif field.name == "stiffness_probe":
            assert (ours is None) == (theirs is None)
        elif isinstance(theirs, np.ndarray):
            assert isinstance(ours, np.ndarray), field.name
            assert (ours.shape, ours.dtype) == (theirs.shape, theirs.dtype), field.name
            assert ours.tobytes() == theirs.tobytes(), field.name
        else:
            assert ours == theirs, field.name
    for i in range(len(local.status)):
        assert result.message(i) == local.message(i)


def test_every_result_field_has_exactly_one_joining_rule():
    rules = PER_TRAJECTORY + SHARED + ON_CLIENT
    assert len(set(rules)) == len(rules)
    assert set(rules) == {f.name for f in dataclasses.fields(kernels.IVPResult)}


def test_summaries_events_and_counters_are_bit_identical_to_one_process(client):
    integ = _featured()
    common = dict(rtol=1e-6, atol=1e-8, t_eval=T_EVAL)
    local = integ.solve((0.0, 4.0), Y0, **common)
    assert list(local.status) == [kernels.Status.EVENT, 0, kernels.Status.EVENT, 0]  # both kinds of row
    assert local.event_count[:, 0].any() and np.all(local.n_rhs > 6 * local.n_steps)  # counters are not trivial
    spread = integ.solve((0.0, 4.0), Y0, client=client, chunk_size=1, **common)
    _assert_identical(spread, local)
    assert set(spread.summaries) == set(STATS) and spread.summaries["mean"].shape == (4, 3, 3)
    chunked = integ.solve((0.0, 4.0), Y0, client=client, chunk_size=3, gather=False, **common)
    assert chunked.ranges == ((0, 2), (2, 4))
    assert chunked.futures[1].result().event_y.shape == (2, 2)  # each chunk's result holds its rows' fields
    _assert_identical(chunked.gather(), local)


def test_without_the_trajectory_only_summaries_and_events_come_back(client):
    integ = _featured(save_trajectory=False, per="run", method="rk4")
    params = np.array([[1.0, 0.1], [2.0, 0.0], [0.5, 0.3]])  # a batch of params, y0 broadcast
    local = integ.solve((0.0, 3.0), [1.0, 0.0], params, dt=0.05)
    spread = integ.solve((0.0, 3.0), [1.0, 0.0], params, dt=0.05, client=client, chunk_size=1)
    assert spread.y is None and spread.observables is None and spread.summaries["max"].shape == (3, 1, 3)
    _assert_identical(spread, local)


def test_the_stiffness_hint_survives_the_trip_to_the_workers(client):
    import dask.array as da

    vdp = kernels.stiff_van_der_pol()
    y0 = np.array([[2.0, 0.0], [1.5, 0.0]])
    local = kernels.solve_ivp(vdp, (0.0, 1.0), y0, method="tsit5", max_steps=50)
    spread = kernels.solve_ivp(vdp, (0.0, 1.0), y0, method="tsit5", max_steps=50, client=client, chunk_size=1)
    _assert_identical(spread, local)
    assert "looks stiff" in spread.message(1) and spread.stiffness_probe is not None
    # dask-array inputs never sit on the client whole: the plain message, no probe
    lazy = kernels.solve_ivp(vdp, (0.0, 1.0), da.from_array(y0, chunks=1), method="tsit5", max_steps=50,
                             client=client)
    assert lazy.stiffness_probe is None and lazy.message(0).startswith(kernels.STATUS_MESSAGES[kernels.MAX_STEPS])
    assert "looks stiff" not in lazy.message(0)
    np.testing.assert_array_equal(lazy.y, local.y)


def _chunk_keys(dask_scheduler):
    return sorted(str(k) for k in dask_scheduler.tasks if str(k).startswith("bufferplan-chunk-"))


def test_a_bad_span_is_refused_before_any_chunk_is_sent(client):
    before = client.run_on_scheduler(_chunk_keys)
    with pytest.raises(kernels.ConfigurationError, match="t_span"):
        _featured().solve((1.0, 0.0), Y0, client=client)
    assert set(client.run_on_scheduler(_chunk_keys)) <= set(before)  # no new chunk reached the scheduler


def test_a_killed_workers_chunk_is_recomputed_bit_identically_with_summaries_and_events(client):
    integ = _featured(method="rk4")
    y0 = np.column_stack([np.linspace(0.2, 1.0, 8), np.zeros(8)])
    span, dt = (0.0, 6.0), 0.02  # 300 steps: a chunk of two trajectories runs for a while
    local = integ.solve(span, y0, dt=dt, t_eval=T_EVAL)
    chunked = integ.solve(span, y0, dt=dt, t_eval=T_EVAL, client=client, gather=False, chunk_size=2)
    result = kill_a_running_chunk(client, chunked)
    _assert_identical(result, local)
    assert kernels.Status.EVENT in set(local.status.tolist()) and 0 in set(local.status.tolist())
    client.wait_for_workers(2, timeout=300)


def test_gather_after_the_client_closed_says_to_gather_inside_its_block(client):
    """gather() after the client's with-block failed with "RuntimeError: IOLoop is closed"."""
    with distributed.Client(client.scheduler.address) as mine:
        chunked = kernels.solve_ivp(CHAIN, (0.0, 1.0), Y0, method="rk4", dt=0.1, client=mine, gather=False)
    with pytest.raises(kernels.ConfigurationError, match=r"ChunkedResult.gather\(\) needs the Client that solved, "
                                                         r"which is closed: .*gather inside the 'with Client"):
        chunked.gather()


def _blow_up(t, y, p, dydt):  # y' = p y^2, y(0) = 1: singular at t = 1/p
    dydt[0] = p[0] * y[0] * y[0]


def test_a_failures_message_names_the_runs_tolerances_as_in_one_process(client):
    """With client= the message named the probe's recheck tolerances ("again at rtol 1e-08 and atol 1e-12")
    where one process names the run's."""
    system = kernels.ODESystem(_blow_up, 1, n_params=1, name="blow_up")
    rates = np.array([[0.1], [2.0]])
    options = dict(method="rodas5p", precision=np.float64)
    local = kernels.solve_ivp(system, (0.0, 1.0), [1.0], rates, **options)
    spread = kernels.solve_ivp(system, (0.0, 1.0), [1.0], rates, client=client, chunk_size=1, **options)
    assert local.status[1] != 0 and "the run's rtol and atol" in local.message(1)
    assert spread.message(1) == local.message(1)


def _index_bug_in_row_0(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[int(p[1])]  # p[1] = 5 in row 0 only: IndexError


def test_a_failing_chunk_raises_at_once_and_cancels_the_rest(client):
    """A chunk's error was raised only after every other chunk had run to its end (24 s for 0.1 s)."""
    import time

    system = kernels.ODESystem(_index_bug_in_row_0, 2, n_params=2, name="bug_in_row_0", check=False)
    rates = np.column_stack([np.linspace(1.0, 5.0, 7), np.zeros(7)])
    rates[0, 1] = 5
    options = dict(method="rk4", dt=1e-4, precision=np.float64, client=client)
    kernels.solve_ivp(system, (0.0, 1e-3), [1.0, 0.0], rates[1:], **options)  # the workers' kernel, built
    started = time.perf_counter()
    with pytest.raises(kernels.UserFunctionError, match="IndexError"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0, 0.0], rates, chunk_size=1, **options)  # 1e4 steps a row
    assert time.perf_counter() - started < 3.0  # each other chunk runs for seconds on the simulator
    for _ in range(50):  # the rest were cancelled: no worker runs a chunk
        if not any(client.processing().values()):
            break
        time.sleep(0.1)
    assert not any(client.processing().values())


def test_a_solve_whose_workers_all_went_away_says_so(monkeypatch):
    """cluster.scale(0) during a solve left it waiting for ever, with no word."""
    import threading

    import kernels.distributed_results as results

    monkeypatch.setattr(results, "WORKERLESS_SECONDS", 1.0, raising=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0",
                                  env={"NUMBA_ENABLE_CUDASIM": "1"}) as cluster, distributed.Client(cluster) as c:
        chunked = _featured(method="rk4").solve((0.0, 4.0), Y0, dt=1e-3, client=c, gather=False, chunk_size=1)
        cluster.scale(0)
        raised = []

        def gather():
            try:
                chunked.gather()
            except Exception as exc:  # noqa: BLE001 - looked at below
                raised.append(exc)

        waiting = threading.Thread(target=gather, daemon=True)
        waiting.start()
        waiting.join(30.0)
        assert not waiting.is_alive(), "gather() still waits for workers that went away"
        assert isinstance(raised[0], kernels.ConfigurationError)
        assert "every Dask worker of client= went away" in str(raised[0])


def _forced(t, y, p, u, dydt):
    dydt[0] = -p[0] * y[0] + u[0]


def _array_bytes(value):
    """Bytes of the NumPy arrays ``value`` holds (in tuples, lists and dicts)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        value = list(value.values())
    return sum(map(_array_bytes, value)) if isinstance(value, (list, tuple)) else 0


@pytest.mark.filterwarnings("ignore::kernels.SamplingWarning")
def test_the_drivers_samples_travel_once_not_in_every_chunk(client, monkeypatch):
    """8 chunks of a solve with 32 MB of driver samples grew the client by 245 MB: each chunk's task held a copy."""
    system = kernels.ODESystem(_forced, 1, n_params=1, n_drivers=1, name="forced")
    times = np.linspace(0.0, 1.0, 200_001)  # 3.2 MB of samples
    rates = np.linspace(0.5, 2.0, 4)[:, None]
    options = dict(method="rk4", dt=0.1, precision=np.float64, drivers=(times, np.sin(times)))
    local = kernels.solve_ivp(system, (0.0, 1.0), [1.0], rates, **options)
    sent, submit = [], client.submit

    def counted(function, *args, **kwargs):
        sent.append(_array_bytes(args))
        return submit(function, *args, **kwargs)

    monkeypatch.setattr(client, "submit", counted)
    spread = kernels.solve_ivp(system, (0.0, 1.0), [1.0], rates, client=client, chunk_size=1, **options)
    np.testing.assert_array_equal(spread.y, local.y)
    assert sum(sent) < 1.5 * 2 * times.nbytes, sent  # the samples (times and values) sent once
