"""One local Dask worker per GPU (:func:`gpu_cluster`), the import of Dask's distributed scheduler, and the check
of ``client=`` (:func:`check_client`: an open Client; a scheduler's address or a cluster is told ``Client(...)``).

``gpu_cluster`` needs only ``distributed`` (no dask-cuda): each spawned worker
sees one GPU (``CUDA_VISIBLE_DEVICES``) and declares the resource ``GPU=1``.
"""

from __future__ import annotations

import importlib
import logging
import numbers

from .errors import ConfigurationError, describe

__all__ = ["gpu_cluster", "distributed_module", "check_devices", "check_client"]


def distributed_module(what="client="):
    """The ``distributed`` module (and ``dask``, which it needs, importable); a ConfigurationError naming
    ``what`` and the install command when either is missing."""
    try:
        importlib.import_module("dask")  # gpu_cluster configures it
        import distributed
    except ImportError:
        raise ConfigurationError(f"{what} needs Dask's distributed scheduler, which is not installed; "
                                 "pip install 'bufferplan[distributed]'") from None
    return distributed


def check_client(client):
    """``client`` when it is an open ``dask.distributed.Client``; else the ConfigurationError that says what to do."""
    from .distributed_results import closed_client_error

    if not isinstance(client, distributed_module().Client):
        raise _client_type_error(client)
    error = closed_client_error(client, "client=")
    if error is not None:
        raise error
    return client


def _client_type_error(client):
    """The ConfigurationError for ``client=`` that is no ``dask.distributed.Client``, with the way from what was
    given to one: a scheduler's address (``"tcp://host:8786"``) or a cluster is connected to with ``Client(...)``."""
    expected = "client must be a dask.distributed.Client"
    if isinstance(client, str):
        return ConfigurationError(f"{expected}; got the string {client!r}: for a scheduler at that address connect "
                                  f"first, with Client({client!r}) as client: ..., and pass client=client")
    if hasattr(client, "scheduler_address"):  # a LocalCluster, a SpecCluster (gpu_cluster), a dask-cuda cluster
        return ConfigurationError(f"{expected}; got the cluster {describe(client)}: connect to it first, with "
                                  f"Client(cluster) as client: ..., and pass client=client")
    return ConfigurationError(f"{expected}; got {describe(client)}: make one with Client(cluster) or "
                              f"Client('tcp://scheduler:8786')")


def check_devices(devices):
    """``devices`` as a list of distinct GPU indices (non-negative ints), or one ConfigurationError.

    A string (``"0,1"``, as ``CUDA_VISIBLE_DEVICES`` is written) and a bare int are refused: an int is read
    as a count by some and as one index by others, and either reading would start workers on GPUs not meant.
    """
    expected = ("devices must be a list of distinct GPU indices, one worker each, such as [0, 1] (or None: "
                "every GPU nvidia-smi lists)")
    if isinstance(devices, (str, bytes)):
        raise ConfigurationError(f"{expected}; got the string {describe(devices)}: pass "
                                 f"{_as_list(devices)} instead")
    if isinstance(devices, bool):
        raise ConfigurationError(f"{expected}; got {devices!r}")
    if isinstance(devices, numbers.Integral):
        count = (f"for that many GPUs pass list(range({int(devices)})), " if int(devices) > 0 else "")
        raise ConfigurationError(f"{expected}; got the int {describe(devices)}: {count}for GPU {int(devices)} alone "
                                 f"pass [{int(devices)}]")
    try:
        given = list(devices)
    except TypeError:
        raise ConfigurationError(f"{expected}; got {describe(devices)}") from None
    if any(isinstance(d, (bool,)) or not isinstance(d, numbers.Integral) or int(d) < 0 for d in given):
        raise ConfigurationError(f"{expected}; got {describe(given)}: each must be a non-negative int")
    indices = [int(d) for d in given]
    repeated = sorted({d for d in indices if indices.count(d) > 1})
    if repeated:
        raise ConfigurationError(f"{expected}; got {indices}, which names GPU {repeated[0]} more than once (one "
                                 f"worker per GPU): give each index once, {sorted(set(indices))}")
    return indices


def _as_list(text):
    """``"0,1"`` as the list ``[0, 1]`` it probably means (for the message only), else ``[0, 1]``."""
    parts = [p.strip() for p in str(text).split(",")]
    return f"[{', '.join(parts)}]" if all(p.isdigit() for p in parts) else "[0, 1]"


def gpu_cluster(devices=None, threads_per_worker=2, memory_limit=0, silence_logs=logging.WARN, **scheduler_options):
    """A local cluster of one spawned worker per GPU (``CUDA_VISIBLE_DEVICES`` set), each declaring ``GPU=1``.

    Needs only ``distributed`` (no dask-cuda).  ``devices`` is a list of
    distinct GPU indices, such as ``[0, 1]`` (default: every GPU, counted with
    ``nvidia-smi``); a string such as ``"0,1"``, a bare int and a repeated
    index are refused with a :class:`~kernels.errors.ConfigurationError`
    (for the first ``n`` GPUs pass ``list(range(n))``).  Two threads per worker
    by default: a chunk's solve holds the worker's one ``GPU`` resource, so
    chunks still run one at a time per GPU, while the other thread computes
    the next chunk's dask-array inputs (1.6x faster at 2^26 Lorenz
    trajectories on one H200, ``scaleout/profile_chunks.py``).  ``memory_limit`` is
    each worker's host memory limit (0: none, so results are never spilled
    to disk).  ``silence_logs``: the level below which Dask's own log lines
    (scheduler and workers starting, ...) are not printed, as LocalCluster's
    default (``logging.WARN``); ``False`` prints them all.  Use as
    ``with gpu_cluster() as cluster, Client(cluster) as client: ...``.
    """
    import subprocess

    distributed = distributed_module("gpu_cluster()")
    import dask
    if devices is None:
        try:
            listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=False).stdout
        except OSError:
            listing = ""
        devices = [i for i, line in enumerate(listing.splitlines()) if line.startswith("GPU ")]
        if not devices:
            raise ConfigurationError("gpu_cluster found no GPU (nvidia-smi -L lists none); pass devices=[0, 1, ...] "
                                     "or use a LocalCluster of CPU workers on the simulator")
    devices = check_devices(devices)
    if not devices:
        raise ConfigurationError("devices must be a list of distinct GPU indices, one worker each, such as [0, 1]; "
                                 "got an empty list: name at least one GPU, or pass devices=None for every GPU")
    dask.config.set({"distributed.worker.multiprocessing-method": "spawn"})
    workers = {f"gpu-{d}": {"cls": distributed.Nanny,
                            "options": {"nthreads": threads_per_worker, "resources": {"GPU": 1},
                                        "memory_limit": memory_limit, "silence_logs": silence_logs,
                                        "env": {"CUDA_VISIBLE_DEVICES": str(d)}}}
               for d in devices}
    scheduler = {"cls": distributed.Scheduler,
                 "options": {"dashboard": False, "dashboard_address": ":0", **scheduler_options}}
    return distributed.SpecCluster(workers=workers, scheduler=scheduler, silence_logs=silence_logs)
