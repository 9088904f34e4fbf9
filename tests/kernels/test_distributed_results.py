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
    client.wait_for_workers(2)


def test_gather_after_the_client_closed_says_to_gather_inside_its_block(client):
    """gather() after the client's with-block failed with "RuntimeError: IOLoop is closed"."""
    with distributed.Client(client.scheduler.address) as mine:
        chunked = kernels.solve_ivp(CHAIN, (0.0, 1.0), Y0, method="rk4", dt=0.1, client=mine, gather=False)
    with pytest.raises(kernels.ConfigurationError, match=r"ChunkedResult.gather\(\) needs the Client that solved, "
                                                         r"which is closed: .*gather inside the 'with Client"):
        chunked.gather()
