"""Scale-out on Dask: one batch, or one sweep of configurations, over many GPU workers.

``Integrator.solve(..., client=client)`` (and ``kernels.solve_ivp(...,
client=client)``) lands in :func:`solve`.  The Plan is solved once, here on the
client, and travels to the workers as JSON beside a *specification* of the
integrator (the system's constructor arguments, method, controller,
precision, summaries, events, save_trajectory), never a compiled kernel:
kernels do not survive pickling.  The
batch is cut into contiguous trajectory ranges, several per worker, each one a
Dask task.  Every worker process keeps its Integrators in a per-process cache
keyed by the specification's digest; an Integrator keeps its kernels by
:func:`kernels.layout_digest`, so a worker builds each kernel once
(:func:`worker_compiles` counts the builds, for tests).

Requirements on the cluster
---------------------------
* The system's functions reach the workers through cloudpickle: functions of
  an importable module (``kernels.lorenz``, an installed package of yours)
  travel by reference and must import on the workers; closures and functions
  of ``__main__`` travel by value.  For a module of yours that the workers
  cannot import, call ``cloudpickle.register_pickle_by_value(module)`` first.
* Workers must start by *spawn*, never fork a process that has initialised
  CUDA (importing ``kernels`` probes the driver).  Spawn is Dask's default;
  set it explicitly with
  ``dask.config.set({"distributed.worker.multiprocessing-method": "spawn"})``.
* One worker per GPU: ``dask_cuda.LocalCUDACluster`` (install dask-cuda with
  its CUDA extra) or :func:`gpu_cluster`, which needs only ``distributed``.
  Workers that declare the resource ``GPU`` get at most one chunk at a time
  per GPU.

Inputs travel inside the task graph (not scattered), so the scheduler can run
a lost worker's chunk again elsewhere (but drivers' samples of more than a
megabyte, which every chunk shares: scattered once to every worker, they are
lost only with every worker at once); each trajectory is computed by one
thread independently of its neighbours, so the recomputed chunk is
bit-identical and the gathered result has every trajectory exactly once,
with every field of a one-process result (:mod:`kernels.distributed_results`).
A chunk that fails with a KernelError returns it instead of raising
(:mod:`kernels.chunk_failures`): Dask neither logs nor retries it, the chunks
after it are cancelled at once, and the client raises it once.  The host-side
checks of a solve (its warnings) are made once on the client for the whole
batch, before any chunk is sent (:func:`kernels.distributed_inputs.host_checks`).
Dask-array inputs are checked on the client for shape and on the workers,
chunk by chunk, for values (:mod:`kernels.distributed_inputs`).
The worker's side (the specification tried on every worker before any chunk
is sent, a chunk's solve, its warnings and trajectory indices carried home as
one process would give them) is :mod:`kernels.distributed_worker`;
:func:`gpu_cluster` is :mod:`kernels.distributed_cluster`'s.
"""

from __future__ import annotations

import collections
import collections.abc
import hashlib
import json
import uuid
import warnings

import numpy as np

from planner import Plan

from .chunk_failures import ChunkFailure, run_chunk
from .distributed_cluster import distributed_module as _distributed
from .distributed_cluster import check_client, gpu_cluster
from .distributed_failures import ChunkCancelledError, ChunkLostError, lost_configuration_error
from .distributed_inputs import (CHECKED_ON_CLIENT, check_partner, host_checks, is_dask_array, lazy_parts, lazy_rows,
                                 stand_in)
from .distributed_results import ChunkedResult, bytes_per_trajectory, probe_factory
from .distributed_worker import check_loadable, solve_chunk, worker_compiles, worker_info
from .errors import ConfigurationError, describe
from .named_params import by_name, warn_read_by_position
from .planning import plan_argument
from .progress import Progress

__all__ = ["solve", "ChunkedResult", "ChunkLostError", "ChunkCancelledError", "chunk_ranges", "map_configurations",
           "configuration_key", "worker_compiles", "gpu_cluster", "scheduler_workers", "DEFAULT_CHUNKS_PER_WORKER"]

DEFAULT_CHUNKS_PER_WORKER = 4
_MEMORY_FRACTION = 0.5  # of a worker's free GPU memory that one chunk's inputs and outputs may take
_SCATTERED_BYTES = 1 << 20  # shared options (drivers' samples, t_eval) larger than this: scattered once, not copied


# -- the specification that travels ---------------------------------------------------------------
def _specification(integrator):
    """``(bytes, digest)``: the cloudpickled constructor arguments of ``integrator`` and their digest."""
    import cloudpickle

    system = integrator.system
    spec = {"system": {"rhs": system.rhs, "n_states": system.n_states, "n_params": system.n_params,
                       "name": system.name, "observables": system.observables,
                       "n_observables": system.n_observables, "jvp": system.jvp, "jac": system.jac,
                       "n_drivers": system.n_drivers,
                       "default_params": system.default_params, "literals": system.literals},
            "method": integrator.method.name, "controller": integrator.controller,
            "solver": None if integrator.method.explicit else integrator.solver,  # explicit: unused, not warned
            "precision": np.dtype(integrator.dtype).name, "summaries": integrator.settings.summaries,
            "events": integrator.settings.events, "save_trajectory": integrator.settings.save_trajectory,
            "max_registers": integrator.max_registers}
    try:
        data = cloudpickle.dumps(spec)
    except Exception as exc:  # noqa: BLE001 - report any pickling failure of user code
        raise ConfigurationError(
            f"the functions of system {system.name!r} and of its events must pickle to reach the workers "
            f"(importable or cloudpickle-able); cloudpickle failed: {type(exc).__name__}: {exc}") from exc
    return data, hashlib.sha256(data).hexdigest()[:24]


# -- the workers (their side: kernels.distributed_worker) ---------------------------------------
def _check_worker_processes(by_worker, workers):
    """Refuse workers that run chunks in threads of one process on the simulator (its state is one a process).

    ``workers``: the scheduler's worker records.  A worker runs at most ``nthreads`` chunks at once, and at most
    its GPU resource count when the workers declare one (each chunk then holds ``GPU=1``).
    """
    gpus = _gpu_resources(workers) is not None
    at_once = collections.Counter()
    for address, info in by_worker.items():
        record = workers.get(address, {})
        threads = int(record.get("nthreads", 1))
        if gpus:
            threads = min(threads, int(record.get("resources", {}).get("GPU", 0)))
        at_once[info["pid"]] += threads
    if next(iter(by_worker.values()))["backend"] == "simulator" and max(at_once.values()) > 1:
        raise ConfigurationError(
            "the workers of client= run chunks in threads of one process (LocalCluster(processes=False), or "
            "threads_per_worker > 1), and Numba's CUDA simulator keeps one state a process, so those chunks would "
            "interfere: start the cluster with processes=True (LocalCluster's default) and threads_per_worker=1")


# -- client side ----------------------------------------------------------------------------------
def chunk_ranges(n_traj: int, n_chunks: int) -> list:
    """``n_chunks`` (at most ``n_traj``) contiguous ``(start, stop)`` ranges covering ``range(n_traj)``, sizes within one."""
    n_chunks = max(1, min(int(n_chunks), int(n_traj)))
    bounds = [n_traj * i // n_chunks for i in range(n_chunks + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def scheduler_workers(client):
    """The scheduler's records of every worker (address -> nthreads, resources, ...).

    Dask's client caches the scheduler's identity, and its periodic refresh keeps only cluster totals
    (``"workers"`` empty): a refresh between the fetch and the read leaves the fetched records out, so
    an empty answer while the cluster has workers (``client.nthreads()`` asks the scheduler) is asked again.
    """
    import inspect

    every = {"n_workers": -1} if "n_workers" in inspect.signature(client.scheduler_info).parameters else {}
    for _ in range(10):
        workers = client.scheduler_info(**every)["workers"]
        if workers or not client.nthreads():
            return workers
    return workers


def _gpu_resources(workers):
    """``{"GPU": 1}`` when the workers (the scheduler's records) declare a GPU resource (else None: no task would
    ever start)."""
    return {"GPU": 1} if any("GPU" in w.get("resources", {}) for w in workers.values()) else None


def _n_chunks(n_traj, bytes_per_traj, infos, chunk_size, chunks_per_worker):
    from .validation import check_int

    if chunk_size is not None:
        return -(-n_traj // check_int(chunk_size, "chunk_size", 1))
    chunks_per_worker = check_int(chunks_per_worker, "chunks_per_worker", 1)
    n_chunks = len(infos) * chunks_per_worker
    free = [i["free_bytes"] for i in infos if i["free_bytes"]]
    if free:  # no chunk larger than a fraction of the smallest free GPU memory
        largest = max(1, int(_MEMORY_FRACTION * min(free)) // bytes_per_traj)
        n_chunks = max(n_chunks, -(-n_traj // largest))
    return n_chunks


def _worker_tolerances(integrator, rtol, atol, dt):
    """``(rtol, atol)`` for the workers: None for a fixed-step explicit run, which ignores them and for which the
    client's ``Integrator.solve`` already warned that they have no effect (a worker would warn again, and its warning
    is raised on the client); checked here first, as one process checks them."""
    from .tolerances import check_tolerance

    if integrator.adaptive or not integrator.method.explicit or dt is None:
        return rtol, atol
    for value, what in ((rtol, "rtol"), (atol, "atol")):
        if value is not None:
            check_tolerance(value, what, integrator.system.n_states, integrator.dtype)
    return None, None


def solve(integrator, client, t_span, y0, params=None, dt=None, rtol=None, atol=None,
          t_eval=None, drivers=None, plan="auto", block_size=None, max_steps=None, dt_min=0.0, dt_max=np.inf,
          device=None, out=None, _canary_elems=0, *, chunk_size=None, chunks_per_worker=DEFAULT_CHUNKS_PER_WORKER,
          gather=True, progress=None, retries=2):
    """Integrate a batch over the workers of a Dask ``client``; see :func:`kernels.solve_ivp`.

    Called by ``Integrator.solve(..., client=client)``; the arguments before
    ``chunk_size`` are those of :meth:`kernels.Integrator.solve`.

    ``y0`` and ``params`` may be dask arrays of shape ``(N, width)``: each
    chunk's rows are then computed on the workers (recomputable when a worker
    dies) and the batch never sits on the client whole, as for 10^9 trajectories.

    Parameters
    ----------
    chunk_size : int, optional
        At most this many trajectories per chunk (task): the batch is cut into
        ``ceil(N / chunk_size)`` chunks with sizes balanced, within one (200
        trajectories at ``chunk_size=64``: 4 chunks of 50).  Default: the batch over
        ``chunks_per_worker`` chunks per worker, smaller where a worker's free
        GPU memory asks for it (a chunk takes at most half of the smallest).
    chunks_per_worker : int
        Chunks per worker (default 4): a lost worker loses little.
    gather : bool
        True: one :class:`kernels.IVPResult` in the original order.  False: a
        :class:`ChunkedResult` of futures that stay on the workers.
    progress : bool or None
        True: a progress bar over chunks on stderr (with ``gather=True``); False:
        none; None (default): as in one process, a bar once the solve has taken a
        few seconds when the workers run the simulator, none on GPUs.
    retries : int
        Times a chunk that raised an unexpected exception is run again.  A
        chunk that failed with a :class:`kernels.KernelError` (an input refused,
        a bug of a user function named by :class:`kernels.UserFunctionError`)
        fails the same way every time: it is not retried, and the error is
        raised here once (:mod:`kernels.chunk_failures`).  A chunk whose worker
        died is rerun by the scheduler (up to ``distributed.scheduler.allowed-failures``; past
        that, once every chunk has ended, one :class:`ChunkLostError` names every lost
        chunk's trajectories and what to do; a chunk cancelled, as by ``client.restart()``,
        is a :class:`ChunkCancelledError`).

    Returns
    -------
    IVPResult or ChunkedResult
        Host arrays, every field of a one-process result (summaries, events and
        counters too); ``plan`` is the one Plan every chunk used.
    """
    from .batch_inputs import batch_inputs
    from .integrator import DEFAULT_MAX_STEPS
    from .validation import check_int, is_device_array

    client = check_client(client)
    if out is not None or _canary_elems:
        raise ConfigurationError("out= and canaries write device arrays of one process; with client= give "
                                 f"neither (got out={describe(out)}, _canary_elems={_canary_elems})")
    if any(is_device_array(a) for a in (y0, params)):
        raise ConfigurationError("with client=, y0 and params must be host arrays (each worker copies its "
                                 "chunk to its own GPU); got a device array")
    if not isinstance(gather, (bool, np.bool_)):  # "no" was truthy and gathered (a pipeline engineer's trial)
        raise ConfigurationError(f"gather must be True (wait for every chunk and join them) or False (return a "
                                 f"ChunkedResult at once); got {describe(gather)}")
    if progress and not gather:
        raise ConfigurationError("progress=True waits for the chunks, so it needs gather=True; with gather=False "
                                 "call ChunkedResult.gather(progress=True) later")
    retries = check_int(retries, "retries", 0)
    system, dtype = integrator.system, integrator.dtype
    integrator.check_unchanged()  # the workers would build the system and events from changed values, in silence
    max_steps = DEFAULT_MAX_STEPS if max_steps is None else max_steps
    lazy = {"y0": is_dask_array(y0), "params": is_dask_array(params)}
    check_partner(y0, params, lazy, system.n_params)
    warn_read_by_position(system, params, integrator._positional_warned)
    y0_rows, params_rows, n_traj = batch_inputs(system, stand_in(y0, "y0", system.n_states),
                                                 stand_in(params, "params", system.n_params), dtype)
    n_traj = lazy_rows(y0, params, n_traj, lazy)
    on_client = not (lazy["y0"] or lazy["params"])  # the rows are here: checked once, as in one process
    checked_rtol, checked_atol, host = host_checks(integrator, t_span, y0_rows, params_rows, by_name(system, params),
                                                   dt, rtol, atol, drivers, t_eval, dt_max, max_steps) if on_client else (
        None, None, None)
    probe = probe_factory(integrator, y0_rows, params_rows, t_span, max_steps, not on_client, dt,
                          (checked_rtol, checked_atol) if on_client and integrator.adaptive else None, host)
    spec_bytes, spec_key = _specification(integrator)
    by_worker = client.run(worker_info, spec_bytes, spec_key)
    infos = list(by_worker.values())
    if not infos:
        raise ConfigurationError("client= has no workers; start the cluster's workers (or wait for them with "
                                 "client.wait_for_workers(n)) before solving")
    workers = scheduler_workers(client)
    _check_worker_processes(by_worker, workers)
    check_loadable(by_worker, system.name)  # a module the workers cannot import: refused before any chunk runs
    # plan for the workers' GPU (the client may have none)
    device, plan = infos[0]["device"] if device is None else device, plan_argument(plan)
    if block_size is None and not isinstance(plan, Plan):
        block_size = infos[0]["block_size"]
    the_plan = integrator.plan(plan, block_size, device)
    plan_json = json.dumps(the_plan.to_json())
    rtol, atol = _worker_tolerances(integrator, rtol, atol, dt)
    options = dict(t_span=t_span, dt=dt, rtol=rtol, atol=atol, t_eval=t_eval, drivers=drivers,
                   max_steps=max_steps, dt_min=dt_min, dt_max=dt_max,
                   progress=False)  # a worker draws nothing: the client's bar counts chunks
    y0_batched = lazy["y0"] or np.ndim(y0) == 2
    params_batched = system.n_params > 0 and (lazy["params"] or np.ndim(params) == 2)
    n_save = 1 if t_eval is None else int(np.size(t_eval))
    bytes_per_traj = bytes_per_trajectory(integrator, n_save)
    ranges = chunk_ranges(n_traj, _n_chunks(n_traj, bytes_per_traj, infos, chunk_size, chunks_per_worker))
    y0_row = np.ascontiguousarray(y0_rows[0])
    params_row = None if system.n_params == 0 else np.ascontiguousarray(params_rows[0])
    y0_lazy = lazy_parts(client, y0, ranges) if lazy["y0"] else None
    params_lazy = lazy_parts(client, params, ranges) if lazy["params"] and system.n_params else None
    computed = tuple(name for name, parts in (("y0", y0_lazy), ("params", params_lazy)) if parts)
    token = uuid.uuid4().hex[:12]
    resources = _gpu_resources(workers)
    futures = []
    with warnings.catch_warnings():
        # the chunks' inputs belong in the graph: the scheduler can then recompute a lost worker's chunk
        warnings.filterwarnings("ignore", message=".*[Ll]arge (object|graph).*")
        shared = _shared_options(client, options)
        for i, (start, stop) in enumerate(ranges):
            y0_part = (y0_lazy[i] if y0_lazy else np.ascontiguousarray(y0_rows[start:stop])) if y0_batched \
                else y0_row
            params_part = (params_lazy[i] if params_lazy else np.ascontiguousarray(params_rows[start:stop])) \
                if params_batched else params_row
            futures.append(client.submit(solve_chunk, spec_bytes, spec_key, plan_json, y0_part, params_part,
                                         shared, (start, stop), computed, key=f"bufferplan-chunk-{token}-{i}",
                                         pure=False, retries=retries, resources=resources))
    scattered = () if shared is options else tuple(k for k in ("drivers", "t_eval") if options[k] is not None)
    chunked = ChunkedResult(tuple(futures), tuple(ranges), the_plan, probe, CHECKED_ON_CLIENT if on_client else (),
                            scattered)
    auto = None if infos[0]["backend"] == "simulator" else False  # None: drawn once it has taken a few seconds
    return chunked.gather(auto if progress is None else progress) if gather else chunked


def _shared_options(client, options):
    """``options`` for every chunk's task: in the graph when small (recomputable anywhere); scattered once to every
    worker when they hold more than :data:`_SCATTERED_BYTES` (the drivers' samples: copied into every chunk's task,
    32 MB of them grew the client by 245 MB for 8 chunks).  Held on every worker, a lost worker's chunk still
    reads them elsewhere; a task's value instead would draw every chunk to the one worker holding it."""
    if sum(map(_array_bytes, options.values())) <= _SCATTERED_BYTES:
        return options
    return client.scatter([options], broadcast=True, hash=False)[0]


def _array_bytes(value):
    """Bytes of the NumPy arrays ``value`` holds (itself, or in a tuple, list or dict: drivers, t_eval)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        value = list(value.values())
    return sum(map(_array_bytes, value)) if isinstance(value, (tuple, list)) else 0


# -- a sweep of configurations --------------------------------------------------------------------
def configuration_key(configuration) -> str:
    """A stable text key of a configuration: canonical JSON (sorted keys; NumPy numbers and arrays as the plain
    numbers and lists they hold, so a grid made with ``np.linspace`` matches its record read back from JSON), else
    ``repr`` of the same plain values with every mapping, nested ones too, as its ``(key, value)`` pairs in the order
    of the keys' ``repr`` (so equal configurations get equal keys whatever their order or NumPy types)."""
    try:
        return json.dumps(_as_json(configuration), sort_keys=True)
    except (TypeError, ValueError):  # a key or value JSON lacks (a class, a complex), or keys of mixed types
        return repr(_as_json(configuration, pairs=True))


def _as_json(value, pairs=False):
    """``value`` with its NumPy numbers and arrays as Python's own numbers and lists, recursively (mapping keys too);
    with ``pairs``, each mapping as the list of its ``(key, value)`` pairs sorted by the keys' ``repr``."""
    if isinstance(value, (np.number, np.bool_)):
        return value.item()
    if isinstance(value, np.ndarray):
        return _as_json(value.tolist(), pairs)
    if isinstance(value, dict):
        items = [(_as_json(k, pairs), _as_json(v, pairs)) for k, v in value.items()]
        return sorted(items, key=lambda item: repr(item[0])) if pairs else dict(items)
    if isinstance(value, (list, tuple)):
        return (tuple if isinstance(value, tuple) else list)(_as_json(item, pairs) for item in value)
    return value


def map_configurations(client, function, configurations, done=(), key=configuration_key, resources="auto",
                       retries=1, errors="raise", progress=False):
    """Run ``function(configuration)`` as one Dask task per configuration; yield ``(configuration, result)`` as each ends.

    Resumable: configurations whose ``key(configuration)`` is in ``done`` are
    skipped, so a sweep that records each yielded result at once (and passes
    the recorded keys as ``done`` next time) never repeats finished work.
    Leaving the loop early cancels the configurations not yet finished.

    Parameters
    ----------
    client : distributed.Client
    function : callable
        Runs on a worker (it must pickle); its result must pickle back.
    configurations : iterable
    done : set (or iterable) of str
        Keys of configurations already recorded (``configuration_key(c)`` of
        each; not the configurations themselves, nor one key as a bare string,
        which are refused with a ConfigurationError).
    key : callable
        ``configuration -> str`` (default :func:`configuration_key`).
    resources : "auto", dict or None
        Dask resources per task; ``"auto"`` is ``{"GPU": 1}`` when workers
        declare a ``GPU`` resource (one configuration per GPU at a time), else none.
    retries : int
        Times a configuration that raised is run again.  One that raised a
        :class:`kernels.KernelError` (a ConfigurationError, a user function's
        bug) fails the same way every time: it is not run again, nor logged by Dask.
    errors : {"raise", "return"}
        On an exception: raise it, or yield it as the result.
    progress : bool
        A progress bar over configurations on stderr.

    Yields
    ------
    (configuration, result)
        In the order the tasks finish.
    """
    from .validation import check_int

    client = check_client(client)
    if errors not in ("raise", "return"):
        raise ConfigurationError(f"errors must be 'raise' or 'return'; got {describe(errors)}")
    retries = check_int(retries, "retries", 0)
    if resources == "auto":
        resources = _gpu_resources(scheduler_workers(client))
    done = _done_keys(done, strings=key is configuration_key)
    todo = [c for c in configurations if key(c) not in done]
    return _run_configurations(client, function, todo, resources, retries, errors, progress)


def _done_keys(done, strings=True):
    """``done`` as a set of configuration keys (strings for :func:`configuration_key`; any hashable for a custom
    ``key=``, whose ints were refused: a regression hunt), or a ConfigurationError naming what was given."""
    expected = ("done must be a set (or another iterable) of configuration keys, the strings configuration_key(c) "
                "(or your key=) gives for each configuration already recorded")
    if isinstance(done, (str, bytes)):
        raise ConfigurationError(f"{expected}; got one string, {describe(done)}, which would be read as a set of "
                                 f"its characters: pass {{key}} for one key")
    try:
        given = list(done)
    except TypeError:
        raise ConfigurationError(f"{expected}; got {describe(done)}") from None
    wrong = next((k for k in given if not (isinstance(k, str) if strings else isinstance(k, collections.abc.Hashable))),
                 None)
    if wrong is not None:
        raise ConfigurationError(f"{expected}; got {describe(done)}, which holds {describe(wrong)}: for recorded "
                                 f"configurations pass {{configuration_key(c) for c in recorded}}")
    return set(given)


def _run_configurations(client, function, todo, resources, retries, errors, progress):
    distributed = _distributed()
    if not todo:
        return
    token = uuid.uuid4().hex[:12]
    # a KernelError comes back as a ChunkFailure: the same every run, so neither retried nor logged by Dask
    futures = {client.submit(run_chunk, function, None, None, c, key=f"bufferplan-config-{token}-{i}", pure=False,
                             retries=retries, resources=resources): c for i, c in enumerate(todo)}
    bar = Progress(len(futures), enabled=bool(progress), label="configurations")
    try:
        for done, future in enumerate(distributed.as_completed(futures), 1):
            bar.update(done)
            if future.status == "error":
                error = future.exception()
                lost = lost_configuration_error(error, futures[future])
                if errors == "return":
                    yield futures[future], lost or error
                    continue
                if lost is not None:
                    raise lost from None
            result = future.result()
            if isinstance(result, ChunkFailure) and errors == "return":
                result = result.error
            elif isinstance(result, ChunkFailure):
                raise result.error.with_traceback(None) from None
            yield futures[future], result
    finally:
        client.cancel([f for f in futures if not f.done()])
        bar.close()
