"""What every result file records about where and how it was made, and small helpers for writing it."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import re
import shlex
import subprocess
import sys

import numpy as np

__all__ = ["ROOT", "RESULTS", "versions", "git_state", "device_info", "device_label", "header", "json_default",
           "write_json", "short_error", "is_oom"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")
VERSION_PACKAGES = ("numpy", "numba", "numba-cuda", "llvmlite", "scipy", "ortools", "networkx", "jax", "jaxlib",
                    "diffrax", "equinox", "torch", "torchdiffeq", "matplotlib", "cubie")


def versions(packages=VERSION_PACKAGES):
    """Python's version and each installed package's (None when it is not installed)."""
    out = {"python": platform.python_version()}
    for pkg in packages:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def git_state():
    """``{"commit", "dirty_files"}`` of the repository, or None outside a git checkout."""
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True,
                               timeout=10)
        if rev.returncode == 0:
            return {"commit": rev.stdout.strip(), "dirty_files": len(dirty.stdout.splitlines())}
    except (OSError, subprocess.SubprocessError):
        pass
    return None


def device_info():
    """Name, compute capability, driver and memory of the current GPU (Numba, then nvidia-smi)."""
    info = {"backend": "unknown"}
    try:
        import kernels

        info["backend"] = kernels.backend()
        if info["backend"] == "simulator":
            info["name"] = "cudasim"
        else:
            from numba import cuda

            dev = cuda.get_current_device()
            name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
            info.update(name=name, compute_capability=list(dev.compute_capability))
            try:
                from numba.cuda.cudadrv import driver

                info["cuda_driver_api"] = list(driver.driver.get_version())
                info["memory_total_bytes"] = int(cuda.current_context().get_memory_info()[1])
            except Exception:  # noqa: BLE001 - optional facts; their errors vary by driver version
                pass
    except Exception as exc:  # noqa: BLE001 - the record says why the device is unknown
        info["numba_error"] = short_error(exc, 200)
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm",
                              "--format=csv,noheader"], capture_output=True, text=True, timeout=20)
        if smi.returncode == 0 and smi.stdout.strip():
            fields = [s.strip() for s in smi.stdout.strip().splitlines()[0].split(",")]
            info.update(nvidia_smi_name=fields[0], driver_version=fields[1], memory_total=fields[2],
                        max_sm_clock=fields[3] if len(fields) > 3 else None)
    except (OSError, subprocess.SubprocessError):
        pass
    info.setdefault("name", info.get("nvidia_smi_name", "unknown"))
    return info


def device_label(info):
    """A file-name-safe label of the device (``nvidia-h200``, ``cudasim``)."""
    return re.sub(r"[^a-z0-9]+", "-", str(info.get("name", "unknown")).lower()).strip("-") or "unknown"


def header(schema, info, settings):
    """The common head of a result document: schema, date, command, host, device, versions, git, settings."""
    return {"schema": schema,
            "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv),
            "cwd": os.getcwd(), "host": platform.node(), "device": info, "versions": versions(), "git": git_state(),
            "settings": settings}


def json_default(o):
    """JSON form of NumPy scalars and arrays, tuples and sets (as lists) and anything else (as text)."""
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (tuple, set)):
        return list(o)
    return str(o)


def write_json(path, doc):
    """Write ``doc`` to ``path`` atomically (a run cut off keeps the last complete file)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(doc, fh, indent=1, default=json_default)
    os.replace(tmp, path)


def short_error(exc, limit=600):
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= limit else text[:limit] + " ..."


def is_oom(exc):
    text = f"{type(exc).__name__}: {exc}".lower()
    return any(s in text for s in ("out of memory", "out_of_memory", "resource_exhausted", "outofmemory",
                                   "cuda_error_out_of_memory", "failed to allocate"))
