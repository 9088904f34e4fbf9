"""Scale-out on Dask: a LocalCluster of two CPU worker processes, each on Numba's CUDA simulator."""

import os
import shutil
import sys
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel_helpers import kill_a_running_chunk

import kernels
from kernels.errors import ConfigurationError
from kernels.progress import QUIET_SECONDS

distributed = pytest.importorskip("distributed")
from kernels.distributed import (chunk_ranges, configuration_key, map_configurations,  # noqa: E402
                                 scheduler_workers)

LORENZ = kernels.lorenz()
SPAN, DT = (0.0, 0.05), 0.01  # five fixed steps


def _params(n):
    return np.column_stack([np.full(n, 10.0), np.linspace(0.0, 28.0, n), np.full(n, 8.0 / 3.0)])


def _workers(client):
    return sorted(scheduler_workers(client))


@given(n=st.integers(1, 10**9), k=st.integers(1, 200))
def test_chunk_ranges_cover_every_trajectory_once(n, k):
    ranges = chunk_ranges(n, k)
    assert ranges[0][0] == 0 and ranges[-1][1] == n and len(ranges) == min(n, k)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    sizes = [stop - start for start, stop in ranges]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def test_split_over_workers_is_bit_identical_and_compiles_once_per_worker(client):
    integ = kernels.Integrator(LORENZ, "rk4", precision=np.float32)
    params = _params(16)
    local = integ.solve(SPAN, [1.0, 1.0, 1.0], params, dt=DT, t_eval=[0.02, 0.05])
    first = integ.solve(SPAN, [1.0, 1.0, 1.0], params, dt=DT, t_eval=[0.02, 0.05], client=client,
                        chunks_per_worker=4)
    second = integ.solve(SPAN, [1.0, 1.0, 1.0], params, dt=DT, t_eval=[0.02, 0.05], client=client, chunk_size=3)
    import dask.array as da

    third = integ.solve(SPAN, [1.0, 1.0, 1.0], da.from_array(params, chunks=(5, 3)), dt=DT, t_eval=[0.02, 0.05],
                        client=client, chunk_size=4)  # the chunks' rows are cut and computed on the workers
    for result in (first, second, third):
        assert result.y.dtype == np.float32 and result.y.shape == local.y.shape
        np.testing.assert_array_equal(result.y, local.y)
        np.testing.assert_array_equal(result.t, local.t)
        for name in ("status", "n_steps", "n_rejected"):
            np.testing.assert_array_equal(getattr(result, name), getattr(local, name))
        assert result.success and result.plan.digest == first.plan.digest
    digest = kernels.layout_digest(first.plan)
    counts = client.run(kernels.distributed.worker_compiles)
    assert sorted(counts) == _workers(client)
    for per_worker in counts.values():  # both workers ran chunks; each built this kernel exactly once
        mine = {k: v for k, v in per_worker.items() if k.endswith("/" + digest)}
        assert list(mine.values()) == [1], per_worker


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_solve_ivp_keeps_chunks_on_workers_and_reports_failures_per_trajectory(client):
    def growth(t, y, p, dydt):  # a local function: it travels to the workers by value
        dydt[0] = p[0] * y[0]

    system = kernels.ODESystem(growth, 1, 1, name="growth")
    rates = np.array([[1.0], [1e12], [2.0], [-1.0], [1e12], [0.5]])  # 1e12: overflows float32 in 4 steps
    common = dict(method="euler", dt=DT, precision=np.float32)
    local = kernels.solve_ivp(system, SPAN, [1.0], rates, **common)
    chunked = kernels.solve_ivp(system, SPAN, [1.0], rates, client=client, gather=False, chunk_size=2, **common)
    assert isinstance(chunked, kernels.distributed.ChunkedResult) and chunked.ranges == ((0, 2), (2, 4), (4, 6))
    assert [f.result().y.shape[0] for f in chunked.futures] == [2, 2, 2]
    gathered = chunked.gather()
    np.testing.assert_array_equal(gathered.status, local.status)
    np.testing.assert_array_equal(gathered.y, local.y)
    assert list(gathered.status) == [0, int(kernels.Status.NONFINITE_STATE), 0, 0,
                                     int(kernels.Status.NONFINITE_STATE), 0]
    assert not gathered.success
    assert gathered.message(1).startswith(kernels.STATUS_MESSAGES[kernels.Status.NONFINITE_STATE])


def test_progress_bar_on_stderr_only_when_asked(client, capsys, monkeypatch):
    integ = kernels.Integrator(LORENZ, "rk4", precision=np.float32)
    monkeypatch.setattr("kernels.progress.QUIET_SECONDS", 60.0)  # the default draws once a solve takes that long
    integ.solve(SPAN, [1.0, 1.0, 1.0], _params(4), dt=DT, client=client)
    assert capsys.readouterr() == ("", "")
    integ.solve(SPAN, [1.0, 1.0, 1.0], _params(4), dt=DT, client=client, chunk_size=1, progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and "4/4 chunks" in captured.err


def test_bad_arguments_name_themselves(client):
    integ = kernels.Integrator(LORENZ, "rk4", precision=np.float32)
    with pytest.raises(ConfigurationError, match="client must be a dask.distributed.Client"):
        integ.solve(SPAN, [1.0, 1.0, 1.0], _params(2), dt=DT, client="tcp://nowhere")
    with pytest.raises(ConfigurationError, match=r"\['chunk_size'\] apply only with client="):
        kernels.solve_ivp(LORENZ, SPAN, [1.0, 1.0, 1.0], _params(2), method="rk4", dt=DT, chunk_size=1)
    with pytest.raises(ConfigurationError, match="chunk_size"):
        integ.solve(SPAN, [1.0, 1.0, 1.0], _params(2), dt=DT, client=client, chunk_size=0)
    with pytest.raises(ConfigurationError, match=r"gather must be True .* or False .*; got 'no'"):  # was truthy
        integ.solve(SPAN, [1.0, 1.0, 1.0], _params(2), dt=DT, client=client, gather="no")
    import dask.array as da

    with pytest.raises(ConfigurationError, match=r"dask array params must have shape \(N, 3\)"):
        integ.solve(SPAN, [1.0, 1.0, 1.0], da.zeros((4, 2)), dt=DT, client=client)
    with pytest.raises(ConfigurationError, match="same number of rows"):
        integ.solve(SPAN, da.zeros((3, 3)), da.zeros((4, 3)), dt=DT, client=client)
    if shutil.which("nvidia-smi") is None:
        with pytest.raises(ConfigurationError, match="gpu_cluster found no GPU"):
            kernels.gpu_cluster()
    with pytest.raises(ConfigurationError, match="progress=True .* needs gather=True"):
        integ.solve(SPAN, [1.0, 1.0, 1.0], _params(2), dt=DT, client=client, gather=False, progress=True)


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(-1000, 1000))
def test_a_numpy_grid_has_the_keys_of_its_json_record(rate, count):
    # A grid made with np.linspace / np.arange keyed by repr ("np.float64(2.0)") and matched nothing recorded, so a
    # resumed sweep ran everything again (a user's trial); the repr fallback depended on key order too.
    import json

    made = {"rate": np.float64(rate), "count": np.int64(count), "grid": np.arange(2.0)}
    recorded = json.loads(json.dumps({"count": count, "rate": rate, "grid": [0.0, 1.0]}))
    assert configuration_key(made) == configuration_key(recorded)
    assert configuration_key({"a": object, "b": 1}) == configuration_key({"b": 1, "a": object})


def test_map_configurations_skips_done_and_runs_the_rest_once(client, capsys):
    configurations = [{"block_size": b, "placement": p} for b in (32, 64) for p in ("local", "shared")]
    done = {configuration_key(configurations[0]), configuration_key(configurations[3])}

    def measure(configuration):
        return configuration["block_size"] * (2 if configuration["placement"] == "shared" else 1), os.getpid()

    results = list(map_configurations(client, measure, configurations, done=done, progress=True))
    assert "2/2 configurations" in capsys.readouterr().err
    assert sorted(configuration_key(c) for c, _ in results) == sorted(
        configuration_key(c) for c in configurations[1:3])
    assert all(value == c["block_size"] * (2 if c["placement"] == "shared" else 1) for c, (value, _) in results)
    assert list(map_configurations(client, measure, configurations, done=map(configuration_key, configurations))) \
        == []

    def fails(configuration):
        raise RuntimeError(f"bad {configuration}")

    (config, error), = map_configurations(client, fails, [7], retries=0, errors="return")
    assert config == 7 and isinstance(error, RuntimeError) and "bad 7" in str(error)
    with pytest.raises(RuntimeError, match="bad 8"):
        list(map_configurations(client, fails, [8], retries=0))


def test_a_killed_workers_chunk_is_recomputed_bit_identically(client):
    integ = kernels.Integrator(LORENZ, "rk4", precision=np.float32)
    params, span = _params(8), (0.0, 4.0)  # 400 steps: a chunk of two trajectories runs for about 0.2 s
    local = integ.solve(span, [1.0, 1.0, 1.0], params, dt=DT)
    chunked = integ.solve(span, [1.0, 1.0, 1.0], params, dt=DT, client=client, gather=False, chunk_size=2)
    result = kill_a_running_chunk(client, chunked)
    assert result.y.shape == local.y.shape
    np.testing.assert_array_equal(result.y, local.y)
    np.testing.assert_array_equal(result.n_steps, local.n_steps)
    assert result.success
    client.wait_for_workers(2, timeout=300)  # the nanny restarted it


def _holds_a_gpu(configuration):
    worker = distributed.get_worker()
    return configuration, worker.state.available_resources["GPU"], os.environ["CUDA_VISIBLE_DEVICES"]


def test_gpu_cluster_gives_each_task_one_gpu():
    """gpu_cluster's workers (here on the simulator) declare GPU=1; chunks and configurations each take it."""
    with kernels.gpu_cluster([0, 1]) as cluster, distributed.Client(cluster) as c:
        c.wait_for_workers(2, timeout=300)
        integ = kernels.Integrator(LORENZ, "rk4", precision=np.float32)
        local = integ.solve(SPAN, [1.0, 1.0, 1.0], _params(6), dt=DT)
        spread = integ.solve(SPAN, [1.0, 1.0, 1.0], _params(6), dt=DT, client=c, chunk_size=1)
        np.testing.assert_array_equal(spread.y, local.y)
        ran = [value for _, value in map_configurations(c, _holds_a_gpu, range(6))]
        assert sorted(config for config, _, _ in ran) == list(range(6))
        assert all(available == 0 for _, available, _ in ran)  # the task held the worker's one GPU
        assert {device for _, _, device in ran} <= {"0", "1"}


def test_workers_that_are_threads_of_one_process_are_refused_on_the_simulator():
    """The simulator keeps one state a process: two in-process workers would run chunks in each other's way
    (a new user's second solve failed deep inside Numba); one in-process worker with one thread is fine."""
    if kernels.backend() != "simulator":
        pytest.skip("the refusal is the simulator's")
    for n_workers, allowed in ((1, True), (2, False)):
        with distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=False,
                                      dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
            run = lambda: kernels.solve_ivp(LORENZ, SPAN, [1.0, 0.0, 0.0], _params(4), dt=DT, method="rk4",  # noqa: E731
                                            client=client, progress=False)
            if allowed:
                assert run().success
            else:
                with pytest.raises(ConfigurationError, match="threads of one process.*processes=True"):
                    run()


def test_a_worker_draws_no_progress_line(capfd):
    """progress=False silenced the client only: on the simulator each chunk of a run longer than a few seconds
    drew its own trajectory bar from the worker (a user's trial); the workers now draw nothing."""
    if kernels.backend() != "simulator":
        pytest.skip("the automatic bar is the simulator's")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        started = time.perf_counter()
        res = kernels.solve_ivp(LORENZ, (0.0, 8.0), [1.0, 0.0, 0.0], _params(4), dt=1e-3, method="rk4",
                                client=client, chunk_size=2, progress=False)
        took = time.perf_counter() - started
    assert res.success
    assert took > 2 * QUIET_SECONDS  # long enough that a worker's automatic bar would have been drawn
    assert "trajectories" not in capfd.readouterr().err


def test_a_kernel_error_on_a_worker_is_raised_once_as_in_one_process(client, capfd):
    """A user function's bug came back as a bare IndexError after three runs, each logging a traceback; a
    chunk's KernelError is now returned by its task (not retried, not logged) and raised once, as one
    process raises it."""
    from kernels.chunk_failures import ChunkFailure

    def _index_bug(t, y, p, dydt):  # a local function: it travels to the workers by value, as __main__'s do
        dydt[0] = y[5]  # the bug under test: a 2-state system
        dydt[1] = 0.0

    system = kernels.ODESystem(_index_bug, 2, name="index_bug", check=False)
    with pytest.raises(kernels.UserFunctionError) as alone:
        kernels.solve_ivp(system, SPAN, [1.0, 1.0], method="rk4", dt=DT, progress=False)
    with pytest.raises(kernels.UserFunctionError) as spread:
        kernels.solve_ivp(system, SPAN, [1.0, 1.0], method="rk4", dt=DT, client=client, progress=False)
    assert str(spread.value) == str(alone.value)
    assert f"_index_bug raised IndexError at {__file__}:" in str(spread.value)
    chunked = kernels.solve_ivp(system, SPAN, np.ones((2, 2)), method="rk4", dt=DT, client=client, gather=False,
                                chunk_size=1)
    distributed.wait(chunked.futures)
    assert [f.status for f in chunked.futures] == ["finished", "finished"]  # returned, so never retried
    assert all(isinstance(f.result(), ChunkFailure) for f in chunked.futures)
    with pytest.raises(kernels.UserFunctionError, match="_index_bug raised IndexError"):
        chunked.gather()
    assert "Compute Failed" not in capfd.readouterr().err


def test_dask_array_inputs_are_judged_as_one_batch(client):
    """A dask-array y0 beside NumPy params of N rows was refused for the shape of its one-row stand-in, and a NaN
    in a dask array's rows 2 and 3 was reported at index (0, 0) of its chunk."""
    import dask.array as da

    vdp = kernels.van_der_pol()
    y0 = np.column_stack([np.linspace(0.1, 1.0, 4), np.zeros(4)])
    mu = np.linspace(1.0, 2.0, 4)[:, None]
    with pytest.raises(ConfigurationError, match=r"with a dask array input, params must be one row \(broadcast\) "
                                                 r"or a dask array too; got 4 rows"):
        kernels.solve_ivp(vdp, SPAN, da.from_array(y0), mu, client=client, progress=False)
    mu[2:] = np.nan
    with pytest.raises(ConfigurationError, match=r"params must be finite in float32; found nan at index \(2, 0\)"):
        kernels.solve_ivp(vdp, SPAN, da.from_array(y0, chunks=2), da.from_array(mu, chunks=2), client=client,
                          progress=False)


def test_a_dask_array_nan_is_refused_with_a_remedy_that_runs(client):
    """A dask-array y0 holding NaN was refused without the remedy one process gives (the ``keep = ...`` line); the
    remedy given is applied here, lazily as a dask array needs, and runs the other rows."""
    import re

    import dask.array as da

    vdp = kernels.van_der_pol()
    y0 = np.column_stack([np.linspace(0.1, 1.0, 6), np.zeros(6)])
    y0[4, 1] = np.nan
    y0, mu = da.from_array(y0, chunks=2), da.from_array(np.linspace(1.0, 2.0, 6)[:, None], chunks=3)
    common = dict(method="rk4", dt=DT, precision=np.float64, client=client, progress=False)
    with pytest.raises(ConfigurationError, match=r"y0 must be finite in float64; found nan at index \(4, 1\)") as error:
        kernels.solve_ivp(vdp, SPAN, y0, mu, **common)
    remedy = re.search(r"keep = (.*?\.all\(axis=1\)), then pass y0\[keep\]\.compute_chunk_sizes\(\)",
                       str(error.value))
    assert remedy, str(error.value)
    keep = eval(remedy.group(1), {"np": np, "y0": y0})  # noqa: S307 - the message's own expression
    result = kernels.solve_ivp(vdp, SPAN, y0[keep].compute_chunk_sizes(), mu[keep].compute_chunk_sizes(), **common)
    local = kernels.solve_ivp(vdp, SPAN, np.delete(y0.compute(), 4, 0), np.delete(mu.compute(), 4, 0), method="rk4",
                              dt=DT, precision=np.float64)
    np.testing.assert_array_equal(result.y, local.y)
    with pytest.raises(ConfigurationError, match=r"keep = \(abs\(y0\) <= 3\.40282e\+38\)\.all\(axis=1\)"):
        kernels.solve_ivp(vdp, SPAN, y0, mu, **dict(common, precision=np.float32))


def test_a_closed_client_is_refused(client):
    """It failed with "RuntimeError: IOLoop is closed"."""
    closed = distributed.Client(client.scheduler.address)
    closed.close()
    with pytest.raises(ConfigurationError, match="client= is closed: .*make a new Client"):
        kernels.solve_ivp(LORENZ, SPAN, [1.0, 1.0, 1.0], _params(2), method="rk4", dt=DT, client=closed)


def test_without_dask_gpu_cluster_and_client_say_what_to_install(monkeypatch):
    for name in ("dask", "distributed", "dask.distributed"):
        monkeypatch.setitem(sys.modules, name, None)
    install = "needs Dask's distributed scheduler, which is not installed; pip install 'bufferplan[distributed]'"
    with pytest.raises(ConfigurationError) as info:
        kernels.gpu_cluster([0])
    assert str(info.value) == f"gpu_cluster() {install}"
    with pytest.raises(ConfigurationError) as info:
        kernels.solve_ivp(LORENZ, SPAN, [1.0, 1.0, 1.0], _params(2), method="rk4", dt=DT, client=object())
    assert str(info.value) == f"client= {install}"


_RATE = 2.0  # a global the rhs below reads: compiled code keeps it as a constant


def _global_decay(t, y, p, dydt):
    dydt[0] = -_RATE * y[0]


def test_a_global_changed_after_the_system_was_built_is_refused_as_in_one_process(client, monkeypatch):
    """One process refused the changed global; client= rebuilt the system on the workers from the new value and
    returned exp(-3) for exp(-2) with success (a user's trial)."""
    system = kernels.ODESystem(_global_decay, 1, name="global_decay")
    monkeypatch.setattr(sys.modules[__name__], "_RATE", 3.0)
    with pytest.raises(ConfigurationError) as alone:
        kernels.solve_ivp(system, SPAN, [1.0], method="rk4", dt=DT, progress=False)
    with pytest.raises(ConfigurationError) as spread:
        kernels.solve_ivp(system, SPAN, [1.0], method="rk4", dt=DT, client=client, progress=False)
    assert "reads the global '_RATE', which changed after the system was built" in str(alone.value)
    assert str(spread.value) == str(alone.value)
    monkeypatch.setattr(sys.modules[__name__], "_RATE", 2.0)  # back; now an event function's global changes
    event = kernels.Event(_above_rate)
    kernels.solve_ivp(system, SPAN, [1.0], method="rk4", dt=DT, events=event, progress=False)
    monkeypatch.setattr(sys.modules[__name__], "_RATE", 3.0)
    monkeypatch.setattr(system, "check_unchanged", lambda: None)  # the rhs's own check aside: the event's speaks
    with pytest.raises(ConfigurationError, match="events\\[0\\] function reads the global '_RATE'"):
        kernels.solve_ivp(system, SPAN, [1.0], method="rk4", dt=DT, events=event, client=client, progress=False)


def _above_rate(t, y, p):
    return y[0] - _RATE


def test_a_user_function_error_names_the_trajectory_of_the_whole_batch(client):
    """Through client= the message named the trajectory's index in its chunk (0 or 2) instead of 6."""
    import dask.array as da

    def _row_bug(t, y, p, dydt):  # p[0] = 5 indexes past the 2 states: row 6 only
        dydt[0] = y[1]
        dydt[1] = -y[int(p[0])]

    system = kernels.ODESystem(_row_bug, 2, 1, name="row_bug", check=False)
    params = np.zeros((8, 1))
    params[6, 0] = 5
    common = dict(method="rk4", dt=DT, progress=False)
    with pytest.raises(kernels.UserFunctionError) as alone:
        kernels.solve_ivp(system, SPAN, [1.0, 0.0], params, **common)
    assert "for trajectory 6:" in str(alone.value)
    for rows, options in ((params, {}), (params, {"chunk_size": 4}), (da.from_array(params, chunks=(3, 1)), {})):
        with pytest.raises(kernels.UserFunctionError) as spread:
            kernels.solve_ivp(system, SPAN, [1.0, 0.0], rows, client=client, **common, **options)
        assert str(spread.value) == str(alone.value)


def test_host_side_warnings_are_raised_once_on_the_client(client, capfd):
    """A ToleranceWarning of one process was printed on the workers' stderr once per chunk and never reached the
    client; a fixed-step run's unused tolerances must not be warned about twice (client and workers)."""
    import warnings

    vdp, mu = kernels.van_der_pol(), np.linspace(1.0, 2.0, 4)[:, None]
    cases = ((dict(method="tsit5", rtol=1e-7, atol=1e-9, precision=np.float32), "below float32's resolution"),
             (dict(method="rk4", dt=DT, rtol=1e-3, precision=np.float32), "rtol has no effect on this run"))
    for options, text in cases:
        said = {}
        for name, extra in (("alone", {}), ("spread", {"client": client, "chunk_size": 1})):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = kernels.solve_ivp(vdp, SPAN, [2.0, 0.0], mu, progress=False, **options, **extra)
            assert result.success
            said[name] = [(w.category, str(w.message), w.filename) for w in caught]
        assert len(said["alone"]) == 1 and text in said["alone"][0][1]
        assert said["spread"] == said["alone"]  # once, with the same text, at the caller's line
        assert said["spread"][0][0] is kernels.ToleranceWarning and said["spread"][0][2] == __file__
    assert "ToleranceWarning" not in capfd.readouterr().err  # the workers printed none


def test_a_module_the_workers_cannot_import_is_named_before_any_chunk_fails(client, tmp_path, capfd):
    """The solve failed with a bare ModuleNotFoundError after each chunk logged "Compute Failed" on its worker."""
    import importlib.util

    import cloudpickle

    (tmp_path / "unimportable_sys.py").write_text("def rhs(t, y, p, dydt):\n    dydt[0] = -p[0] * y[0]\n")
    spec = importlib.util.spec_from_file_location("unimportable_sys", tmp_path / "unimportable_sys.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["unimportable_sys"] = module  # importable here, by its entry in sys.modules; not on the workers
    try:
        spec.loader.exec_module(module)
        system = kernels.ODESystem(module.rhs, 1, 1, name="unimportable")
        solve = lambda: kernels.solve_ivp(system, SPAN, [1.0], [[1.0], [2.0]], method="rk4", dt=DT,  # noqa: E731
                                          client=client, progress=False)
        with pytest.raises(ConfigurationError, match=r"module 'unimportable_sys', which the Dask workers cannot "
                                                     r"import .*cloudpickle\.register_pickle_by_value"
                                                     r"\(unimportable_sys\)"):
            solve()
        assert "Compute Failed" not in capfd.readouterr().err
        cloudpickle.register_pickle_by_value(module)  # the remedy the message gives
        try:
            assert solve().success
        finally:
            cloudpickle.unregister_pickle_by_value(module)
    finally:
        del sys.modules["unimportable_sys"]


def test_a_chunk_that_cannot_load_its_system_fails_once_with_the_module_named():
    """Should a worker that joined after the check miss the module, its chunk returns the same ConfigurationError."""
    import types

    import cloudpickle

    from kernels.chunk_failures import ChunkFailure
    from kernels.distributed_worker import solve_chunk

    module = types.ModuleType("vanishing_sys")
    module.__file__ = "/nowhere/vanishing_sys.py"  # a module of a file: cloudpickle sends its functions by reference
    exec("def rhs(t, y, p, dydt):\n    dydt[0] = -y[0]\n", module.__dict__)
    sys.modules["vanishing_sys"] = module
    try:
        spec = cloudpickle.dumps({"system": {"rhs": module.rhs}})
    finally:
        del sys.modules["vanishing_sys"]
    failure = solve_chunk(spec, "vanishing-key", "{}", None, None, {}, (0, 1))
    assert isinstance(failure, ChunkFailure) and isinstance(failure.error, ConfigurationError)
    assert "module 'vanishing_sys'" in str(failure.error) and "register_pickle_by_value" in str(failure.error)


@pytest.mark.parametrize("devices, said", [
    ("0,1", r"got the string '0,1': pass \[0, 1\] instead"),
    (2, r"got the int 2: for that many GPUs pass list\(range\(2\)\), for GPU 2 alone pass \[2\]"),
    (0, r"got the int 0: for GPU 0 alone pass \[0\]"),  # not list(range(0)), which is refused
    (True, r"got True$"),
    ([0, 0], r"names GPU 0 more than once"),
    ([0, -1], r"each must be a non-negative int"),
    ([], r"got an empty list"),
])
def test_gpu_cluster_takes_a_list_of_distinct_gpu_indices(devices, said):
    """"0,1" and 2 crashed with ValueError and TypeError; [0, 0] started one worker without a word."""
    with pytest.raises(ConfigurationError, match=r"devices must be a list of distinct GPU indices.*" + said):
        kernels.gpu_cluster(devices)


def test_a_dask_array_of_unknown_length_is_refused_with_the_remedy(client):
    import dask.array as da

    params = da.from_array(_params(8), chunks=(3, 3))
    filtered = params[params[:, 1] > 10]  # its row count is unknown until computed
    with pytest.raises(ConfigurationError, match=r"row count is unknown .*params\.compute_chunk_sizes\(\)"):
        kernels.solve_ivp(LORENZ, SPAN, [1.0, 1.0, 1.0], filtered, method="rk4", dt=DT, client=client)
    result = kernels.solve_ivp(LORENZ, SPAN, [1.0, 1.0, 1.0], filtered.compute_chunk_sizes(), method="rk4", dt=DT,
                               client=client, progress=False)
    assert result.success and result.y.shape[0] == int((_params(8)[:, 1] > 10).sum())


def test_equal_configurations_get_equal_keys_at_every_level():
    # The repr fallback sorted only the top level, and NumPy keys and complex numbers kept their NumPy repr, so
    # equal configurations got different keys and a resumed sweep ran them again (a regression hunt).
    assert configuration_key({np.int64(1): "a"}) == configuration_key({1: "a"})
    assert configuration_key({"a": {"x": 1, "p": np.float32}}) == configuration_key({"a": {"p": np.float32, "x": 1}})
    assert configuration_key({"z": np.complex128(1 + 2j)}) == configuration_key({"z": 1 + 2j})
    assert configuration_key({"a": object, "b": 1}) != configuration_key({"a": object, "b": 2})
