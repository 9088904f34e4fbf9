"""Check on any machine that a user function compiles for CUDA, and say where it does not.

Numba compiles a device function to PTX for a given compute capability without a
GPU (NVVM comes with the ``compile`` extra).  A process that runs on Numba's CUDA
simulator has no compiler (there ``numba.cuda`` is the simulator), so the check
runs in a helper process with the real CUDA target: :mod:`kernels.ptxcheck`,
started on the first check, reused by every later one and ended when this process
exits (or its input closes).  The function travels there as a cloudpickle, by
value (its code, closure values and the globals it uses); device functions it
calls are rebuilt there as CUDA device functions.  With a usable GPU the check
runs in this process instead.

Results are cached per function object and per pickled payload (equal closures
of one factory share a result), so a system built again costs a hash.  When the
check cannot run (no NVVM, a function that cannot be pickled, no helper), a
:class:`CompileCheckWarning` says so once and construction goes on.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pickle
import struct
import subprocess
import sys
import threading
import types
import weakref


from . import ptxcheck
from .compile_hints import LIBRARY_MODULES
from .errors import CompileCheckWarning, warn_user
from .module_origin import shadows_stdlib, top_level

__all__ = ["check_device_function"]
_TIMEOUT_S = 180.0  # the first request also imports numba.cuda in the helper
_lock = threading.RLock()
_by_function: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_by_payload: dict[bytes, dict] = {}
_warned: set[str] = set()
_helper = None
_helper_pid = None


def _rebuild_device_function(fn, device):
    """Run in the helper: a simulator device function becomes a real CUDA one."""
    from numba import cuda

    return cuda.jit(device=device)(fn)


def _by_value(func):
    """Whether ``func`` travels by value: the user's, not a library's (by its module's name, except a user's file
    that has a standard library module's name, such as a chemist's glob.py, which the helper would import as the
    standard library's: :func:`kernels.module_origin.shadows_stdlib`)."""
    module = getattr(func, "__module__", None) or "__main__"
    return top_level(module) not in LIBRARY_MODULES or shadows_stdlib(module)


def _module_by_value(module):
    """``module``'s contents as the helper rebuilds them (cloudpickle's own form for a module it pickles by value),
    for a user's module read as a global (``G2.jac(...)``) whose name would import the standard library's there.

    Only the values that pickle travel: a module global that cannot (a ``threading.Lock()``, an open file) is left
    out, where it made the whole check fail ("cannot pickle '_thread.lock'") and a helper that does not compile
    went through.  The compiler reads the module's functions and numbers, not such objects."""
    from numba.cloudpickle.cloudpickle import dynamic_subimport

    state = {k: v for k, v in vars(module).items() if k != "__builtins__" and _picklable(v)}
    return dynamic_subimport, (module.__name__, state)


def _picklable(value):
    """Whether ``value`` pickles as the check sends it (a function of the user's by value, with its globals)."""
    try:
        _payload(value)
    except Exception:  # noqa: BLE001 - whatever pickling raises, the value stays here
        return False
    return True


def _pickler_class():
    from numba import cloudpickle

    class ByValuePickler(cloudpickle.Pickler):
        """User functions by value (the helper cannot import test modules or scripts)."""

        def reducer_override(self, obj):
            if isinstance(obj, types.FunctionType) and _by_value(obj):
                return self._dynamic_function_reduce(obj)
            if isinstance(obj, types.ModuleType) and shadows_stdlib(obj.__name__):
                return _module_by_value(obj)
            kind = type(obj)
            if kind.__name__ == "FakeCUDAKernel" and kind.__module__.startswith("numba.cuda.simulator"):
                return _rebuild_device_function, (obj.fn, bool(obj._device))
            return super().reducer_override(obj)

    return ByValuePickler


def _payload(func):
    import io

    buffer = io.BytesIO()
    _pickler_class()(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(func)
    return buffer.getvalue()


def _in_process():
    from .backend import backend, driver_usable

    return backend() == "cuda" and driver_usable()


def _stop_helper():
    global _helper
    proc, _helper = _helper, None
    if proc is not None:
        _release(proc, ours=_helper_pid == os.getpid())


def _release(proc, kill=False, ours=True):
    """End the helper ``proc`` (its input closed, or killed) and close both its pipes.

    ``ours`` False (a forked child holding its parent's helper): only this process's ends of the pipes.
    """
    try:
        if ours:
            if kill:
                proc.kill()
            else:
                proc.stdin.close()
            proc.wait(timeout=5)
    except Exception:  # noqa: BLE001 - best effort: a helper that does not end on its input is killed
        proc.kill()
        proc.wait()
    finally:
        for pipe in (proc.stdin, proc.stdout):
            try:
                pipe.close()
            except (OSError, ValueError):  # a broken pipe's unflushed request: nothing more to do
                pass


def _start_helper():
    global _helper, _helper_pid
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    _helper = subprocess.Popen([sys.executable, "-P", ptxcheck.__file__], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    if _helper_pid is None:
        atexit.register(_stop_helper)
    _helper_pid = os.getpid()


def _read_exact(fd, size, deadline):
    import select
    import time

    chunks, got = [], 0
    while got < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError(f"no answer within {_TIMEOUT_S:.0f} s")
        chunk = os.read(fd, size - got)
        if not chunk:
            raise EOFError("the helper process ended")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _ask_helper(payload, n_args):
    import time

    global _helper
    if _helper is None or _helper_pid != os.getpid() or _helper.poll() is not None:
        if _helper is not None:
            _release(_helper, kill=True, ours=_helper_pid == os.getpid())
        _helper = None
        try:
            _start_helper()
        except (OSError, ValueError) as exc:
            return {"unavailable": f"the compiler process did not start: {type(exc).__name__}: {exc}"}
    request = pickle.dumps((payload, n_args))
    try:
        _helper.stdin.write(struct.pack("<Q", len(request)) + request)
        _helper.stdin.flush()
        deadline = time.monotonic() + _TIMEOUT_S
        fd = _helper.stdout.fileno()
        (size,) = struct.unpack("<Q", _read_exact(fd, 8, deadline))
        return pickle.loads(_read_exact(fd, size, deadline))
    except (OSError, EOFError, TimeoutError) as exc:
        proc, _helper = _helper, None
        _release(proc, kill=True)
        return {"unavailable": f"the compiler process failed: {type(exc).__name__}: {exc}"}


def _check(func, n_args):
    try:
        payload = _payload(func)
    except Exception as exc:  # noqa: BLE001 - anything that cannot be sent cannot be checked there
        payload, why = None, f"it cannot be sent to the compiler process ({type(exc).__name__}: {exc})"
    key = None if payload is None else hashlib.sha256(payload).digest() + bytes([n_args])
    if key in _by_payload:
        return _by_payload[key]
    if _in_process():
        from numba import cuda

        result = ptxcheck.compile_check(func, n_args, cc=cuda.get_current_device().compute_capability)
    elif payload is None:
        return {"unavailable": why}
    else:
        result = _ask_helper(payload, n_args)
    if key is not None:
        _by_payload[key] = result
    return result


def check_device_function(func, n_args):
    """Compile ``func`` (``n_args`` arguments: a float64 time and 1-D arrays) for CUDA.

    Returns
    -------
    dict
        ``{"ok": True}``, a failure as described by :func:`kernels.ptxcheck.compile_check`,
        or ``{"unavailable": reason}`` (a :class:`CompileCheckWarning` has then been issued).
    """
    with _lock:
        cached = _by_function.get(func, {})
        if n_args not in cached:
            cached[n_args] = _check(func, n_args)
            _by_function[func] = cached
        result = cached[n_args]
    if "unavailable" in result and result["unavailable"] not in _warned:
        _warned.add(result["unavailable"])
        warn_user(f"could not check that {getattr(func, '__qualname__', func)!r} compiles for CUDA, so a "
                      f"function that runs on the simulator may still fail on a GPU: {result['unavailable']} "
                      "(the check needs the CUDA compiler: pip install 'bufferplan[compile]')",
                      CompileCheckWarning)
    return result
