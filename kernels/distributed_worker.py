"""The worker side of a distributed solve: the specification loaded, one chunk solved, its words sent home.

A chunk (:func:`solve_chunk`) solves trajectories ``[start, stop)`` of the
batch with the worker's cached Integrator, and everything it says is made to
read as one process would say it:

* an error or a warning that names a trajectory counts it within the chunk (the
  worker's solve sees only its rows): :func:`in_batch` adds ``start``, so the
  text names the trajectory's index in the whole batch;
* the warnings the solve raises (host-side checks of the inputs, such as a
  :class:`~kernels.errors.ToleranceWarning`) are recorded instead of printed
  on the worker's stderr and carried home with the chunk's result, each marked
  whether the solve drew it from its results, after its kernel ran
  (:func:`kernels.warning_origin.from_results`: a float32 state that fell below float32's range, say,
  which says the run's success is wrong); the client, which made the checks
  before the launch itself for the whole batch when it holds the rows, drops
  the chunks' warnings of those checks' categories raised before the launch,
  and raises the others once each kind, whatever trajectory and numbers each
  chunk's text names (:func:`raise_warnings`); those of building the worker's
  Integrator are dropped, since the client raised them when it built its own;
* a system whose functions come from a module the workers cannot import is
  found before any chunk is sent (:func:`worker_info` tries the specification
  on every worker) and refused with one :class:`~kernels.errors.ConfigurationError`
  that names the module and the remedy (:func:`unloadable_error`).

The worker's caches (Integrators by specification digest, kernels seen by
layout) are per process, as Dask runs a task in the worker's process.
"""

from __future__ import annotations

import collections
import json
import os
import pickle
import re
import warnings

import numpy as np

from planner import Plan

from .chunk_failures import run_chunk
from .distributed_inputs import check_chunk
from .errors import ConfigurationError, KernelError, warn_user
from .warning_origin import from_results

__all__ = ["solve_chunk", "worker_compiles", "worker_info", "check_loadable", "unloadable_error", "in_batch",
           "raise_warnings", "warning_kind"]

_KEPT_INTEGRATORS = 16
_INTEGRATORS = collections.OrderedDict()  # spec digest -> Integrator, per worker process
_KERNELS_SEEN = collections.defaultdict(list)  # (spec digest, layout digest) -> distinct kernel objects
_WARNINGS = "_worker_warnings"  # the attribute of a chunk's result (or ChunkFailure) holding its warnings
_TRAJECTORY = re.compile(r"\btrajectory (\d+)\b")
_BRACKETED = re.compile(r"(\[[^\]]*\])")  # an index such as y[:, 1]: part of what a warning is about
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w])")  # not rk4's 4


# -- the specification ----------------------------------------------------------------------------
def _load(spec_bytes):
    import cloudpickle

    return cloudpickle.loads(spec_bytes)


def _unloadable(exc):
    """``(module or None, "Type: text")`` of an exception unpickling the specification raised."""
    module = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
    return module, f"{type(exc).__name__}: {exc}"


def unloadable_error(module, detail, system_name=None):
    """The ConfigurationError for a specification the workers cannot unpickle (``module``: the one they cannot
    import, or None for another failure; ``detail``: the exception's type and text)."""
    whose = f"system {system_name!r}" if system_name else "the system"
    if module:
        return ConfigurationError(
            f"the functions of {whose} come from module {module!r}, which the Dask workers cannot import "
            f"({detail}): functions of an importable module travel by reference. Make it importable on every "
            f"worker (install it there, or put its folder on the workers' PYTHONPATH), or send its functions by "
            f"value: call cloudpickle.register_pickle_by_value({module.split('.')[0]}) with the module object, "
            f"on the client, before solving")
    return ConfigurationError(
        f"the Dask workers cannot load the functions of {whose} ({detail}): the workers must run the same "
        f"versions of its modules and of their packages as the client")


def worker_integrator(spec_bytes, spec_key):
    """The Integrator of a specification, built once per worker process (the last few kept)."""
    from .integrator import Integrator
    from .systems import ODESystem

    found = _INTEGRATORS.get(spec_key)
    if found is None:
        try:
            spec = _load(spec_bytes)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure: one ConfigurationError, not retried
            raise unloadable_error(*_unloadable(exc)) from None
        system = ODESystem(check=False, **spec["system"])  # checked on the client, which ran check_unchanged
        found = _INTEGRATORS[spec_key] = Integrator(system, spec["method"], spec["controller"],
                                                    np.dtype(spec["precision"]).type, spec["solver"],
                                                    summaries=spec["summaries"], events=spec["events"],
                                                    save_trajectory=spec["save_trajectory"],
                                                    max_registers=spec["max_registers"])
        if len(_INTEGRATORS) > _KEPT_INTEGRATORS:
            _INTEGRATORS.popitem(last=False)
    else:
        _INTEGRATORS.move_to_end(spec_key)
    return found


# -- one chunk ------------------------------------------------------------------------------------
def solve_chunk(spec_bytes, spec_key, plan_json, y0, params, options, rows=(0, None), lazy=()):
    """One chunk (trajectories ``rows``) on a worker; a KernelError comes back as a ChunkFailure, not retried.

    ``lazy`` names the inputs computed from dask arrays, whose rows are checked here (the client held none).
    The warnings the solve raised travel with the returned value (see :func:`raise_warnings`).
    """
    start, caught = rows[0], []

    def record(message, category, filename, lineno, file=None, line=None):  # warnings.showwarning's signature
        caught.append((category, str(message), from_results()))  # here, while the warning's caller still runs

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = record
        outcome = run_chunk(_solve_rows, *rows, spec_bytes, spec_key, plan_json, y0, params, options, start, lazy)
    found = tuple(_carried(*said, start) for said in caught)
    if found:
        object.__setattr__(outcome, _WARNINGS, found)  # an IVPResult is frozen; its pickled state keeps __dict__
    return outcome


def _solve_rows(spec_bytes, spec_key, plan_json, y0, params, options, start, lazy):
    """The cached Integrator, the kernel of the plan's layout, one solve; an error names batch indices."""
    from .plan_layout import layout_digest

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the client raised them when it built its Integrator
            integrator = worker_integrator(spec_bytes, spec_key)
        if "y0" in lazy:
            y0 = check_chunk(y0, "y0", integrator.dtype, start)
        if "params" in lazy:
            params = check_chunk(params, "params", integrator.dtype, start)
        plan = Plan.from_json(json.loads(plan_json))
        kernel = integrator.build(plan).kernel
        seen = _KERNELS_SEEN[(spec_key, layout_digest(plan))]
        if not any(kernel is k for k in seen):
            seen.append(kernel)
        return integrator.solve(y0=y0, params=params, plan=plan, **options)
    except KernelError as exc:
        raise in_batch(exc, start) from None


def in_batch(error, start):
    """``error`` with each "trajectory N" of its text (counted in a chunk starting at ``start``) counted in the
    batch; ``error`` itself when it names none or its class takes no single message."""
    text = str(error)
    moved = _counted_in_batch(text, start)
    if not start or moved == text:
        return error
    try:
        return type(error)(moved)
    except Exception:  # noqa: BLE001 - a constructor of other arguments: keep the chunk's text
        return error


def _carried(category, text, drawn, start):
    """``(category, text, drawn)`` of a recorded warning, its trajectories counted in the batch; a category
    that does not pickle (defined in a worker's ``__main__``) travels as UserWarning."""
    try:
        pickle.loads(pickle.dumps(category))
    except Exception:  # noqa: BLE001 - any failure to round-trip: the text still travels
        category = UserWarning
    return category, _counted_in_batch(text, start), drawn


def _counted_in_batch(text, start):
    """``text`` with each "trajectory N" (counted in a chunk starting at ``start``) counted in the batch."""
    return _TRAJECTORY.sub(lambda m: f"trajectory {int(m.group(1)) + start}", text)


def raise_warnings(parts, checked=(), ranges=None):
    """Raise on the client, once each kind and in chunk order, the warnings the chunks' solves raised on the workers.

    Every chunk checks its own rows (dask-array inputs, which the client never holds), so the same warning comes back
    from many, naming different trajectories and numbers that depend on them (a mode's rate, its amplification, the
    stable dt): 8 StabilityWarnings for 16 trajectories in chunks of 2, where one process raises 1; 1000 for 10^6 in
    chunks of 1000.  A kind is the category and the text with every number masked (:func:`warning_kind`); each kind is
    raised once, with the first chunk's text (as one process names the batch's first such trajectory) and, when
    several chunks drew it, a note of how many (``ranges``: the chunks' trajectory ranges, to name their span).
    Those of the categories ``checked`` that a chunk raised before its kernel launched are not raised at all: the
    client made those checks once for the whole batch (:func:`kernels.distributed_inputs.host_checks`), as one process
    makes them; those the solve drew from its results (marked ``from_results``: a float32 state that fell below
    float32's range, a PrecisionWarning) are raised whatever their category, as the client checks no results.
    """
    kinds = {}  # kind -> [category, texts of the first chunk that drew it, indices of the chunks that drew it]
    for i, part in enumerate(parts):
        for category, text, *drawn in getattr(part, _WARNINGS, ()):  # (category, text[, drawn from the results])
            if not any(drawn) and issubclass(category, tuple(checked)):
                continue
            kind = kinds.setdefault(warning_kind(category, text), [category, [], set()])
            if not kind[2] or kind[2] == {i}:
                kind[1] += [] if text in kind[1] else [text]
            kind[2].add(i)
    for category, texts, chunks in kinds.values():
        for text in texts:
            warn_user(text + _drawn_by(chunks, len(parts), ranges), category)


def warning_kind(category, text):
    """``(category, text with its numbers masked)``: the same check's warning from any chunk, whatever trajectory
    and values it names.  Numbers inside names (``rk4``, ``float32``) and inside brackets (``y[:, 1]``,
    ``p[3]``: which component) are kept: a regression hunt's warnings about ``y[:, 0]`` and ``y[:, 1]`` were
    merged into one."""
    parts = _BRACKETED.split(text)
    return category, "".join(part if i % 2 else _NUMBER.sub("#", part) for i, part in enumerate(parts))


def _drawn_by(chunks, n_chunks, ranges):
    """The note a warning drawn by several ``chunks`` (indices among ``n_chunks``) carries; "" for one chunk."""
    if len(chunks) < 2:
        return ""
    span = ""
    if ranges is not None:
        span = f" (between trajectories {ranges[min(chunks)][0]} and {ranges[max(chunks)][1] - 1})"
    return (f" [through client= each chunk checks its own rows: {len(chunks)} of {n_chunks} chunks{span} drew this "
            f"warning; the first chunk's text is shown]")


def worker_compiles() -> dict:
    """Kernels this process has built, as ``{"<spec digest>/<layout digest>": count}``.

    Run it on every worker with ``client.run(kernels.distributed.worker_compiles)``;
    each count is 1 when the per-process caches work.
    """
    return {f"{spec}/{layout}": len(kernels) for (spec, layout), kernels in _KERNELS_SEEN.items()}


def worker_info(spec_bytes=None, spec_key=None):
    """This worker's backend, planner device model, default block size and free/total GPU bytes; with a
    specification, ``"unloadable"``: None when it loads here, else ``(module or None, detail)``."""
    from .backend import backend
    from .device import default_block_size, default_device

    info = {"backend": backend(), "device": default_device(), "block_size": default_block_size(),
            "free_bytes": None, "total_bytes": None, "pid": os.getpid(), "unloadable": None}
    if spec_bytes is not None and spec_key not in _INTEGRATORS:
        try:
            _load(spec_bytes)
        except Exception as exc:  # noqa: BLE001 - reported to the client, which refuses the solve
            info["unloadable"] = _unloadable(exc)
    if info["backend"] == "cuda":
        from numba import cuda

        info["free_bytes"], info["total_bytes"] = (int(v) for v in cuda.current_context().get_memory_info())
    return info


def check_loadable(by_worker, system_name):
    """Refuse the solve (before any chunk is sent) when a worker could not load the specification."""
    for info in by_worker.values():
        if info.get("unloadable"):
            raise unloadable_error(*info["unloadable"], system_name)
