"""Choice of the CUDA backend: a real GPU, or Numba's CUDA simulator.

Numba reads ``NUMBA_ENABLE_CUDASIM`` once, when ``numba.cuda`` is first
imported, so the choice must be made before that import.  :func:`select`
does it: an explicit user setting of the variable always wins; otherwise the
CUDA driver is probed with ``ctypes`` (without importing ``numba.cuda``) and
the simulator is enabled when no usable driver with at least one device is
found.  ``kernels/__init__.py`` calls :func:`select` before anything imports
``numba.cuda``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
import threading
import warnings

__all__ = ["backend", "select", "driver_usable", "device_problem", "require_device", "simulator_serialized"]

# Numba's simulator runs one launch at a time per process: while a kernel runs it swaps the name ``cuda`` in
# the globals of every module whose functions the kernel calls (ours), so another thread's ``cuda.jit`` or
# launch there fails ("'FakeCUDAModule' object has no attribute 'jit'").  Builds and launches take turns.
_SIMULATOR_TURN = threading.RLock()


def simulator_serialized():
    """On the simulator, a block that no other thread's kernel build or launch runs beside; else nothing."""
    return _SIMULATOR_TURN if backend() != "cuda" else contextlib.nullcontext()

_ENV = "NUMBA_ENABLE_CUDASIM"
_DRIVER_NAMES = ("libcuda.so.1", "libcuda.so", "nvcuda.dll", "libcuda.dylib")
_probed: list[bool] = []  # driver_usable() of this process, once probed by device_problem()


def driver_usable() -> bool:
    """Return True when the CUDA driver loads, initialises and sees a device."""
    for name in _DRIVER_NAMES:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        try:
            if lib.cuInit(0) != 0:
                return False
            count = ctypes.c_int(0)
            if lib.cuDeviceGetCount(ctypes.byref(count)) != 0:
                return False
            return count.value > 0
        except AttributeError:
            return False
    return False


def select() -> str:
    """Decide the backend before ``numba.cuda`` is imported; return its name.

    Returns
    -------
    str
        ``"simulator"`` or ``"cuda"``.  If ``numba.cuda`` was already imported
        (by the user, before ``kernels``), its choice stands and is reported.
    """
    if "numba.cuda" not in sys.modules and _ENV in os.environ:
        _normalise_setting()
    if "numba.cuda" not in sys.modules and _ENV not in os.environ:
        os.environ[_ENV] = "0" if driver_usable() else "1"
    elif _ENV not in os.environ and backend() == "cuda" and not driver_usable():
        warnings.warn("numba.cuda was imported before kernels, without a usable CUDA driver, so the "
                      "simulator can no longer be chosen and every kernel will fail to build: import "
                      "kernels first, or set NUMBA_ENABLE_CUDASIM=1", RuntimeWarning, stacklevel=2)
    if "numba.cuda" not in sys.modules:
        # Numba will read the variable when numba.cuda is first imported; importing it here would make
        # the data modules (kernels.tableaus, kernels.methods) pull in Numba.
        return "simulator" if os.environ[_ENV].strip() not in ("", "0") else "cuda"
    return backend()


_WORDS = {"true": "1", "yes": "1", "on": "1", "false": "0", "no": "0", "off": "0"}
_unreadable: list[str] = []  # a setting Numba cannot read as an integer (it takes 0 then), for device_problem
_worded: list[str] = []  # a setting given as a word ("false"), as the user wrote it


def _normalise_setting():
    """``NUMBA_ENABLE_CUDASIM`` as Numba reads it: yes/true/on and no/false/off as 1 and 0, "1.0" as 1, an
    empty value as unset (Numba reads only integers, and printed a traceback for "yes" or "" before taking 0, the
    CUDA backend); any other value is 0, as Numba takes it, remembered so that :func:`device_problem` can say
    why."""
    value = os.environ[_ENV].strip()
    if not value:  # "NUMBA_ENABLE_CUDASIM=" (Numba printed two tracebacks): as if unset, the driver decides
        del os.environ[_ENV]
        return
    if value.lower() in _WORDS:
        _worded.append(os.environ[_ENV])
        os.environ[_ENV] = _WORDS[value.lower()]
        return
    try:
        int(value)
    except ValueError:
        try:
            number = float(value)  # "1.0"
        except ValueError:
            number = None
        if number is not None and number.is_integer():
            _worded.append(os.environ[_ENV])
            os.environ[_ENV] = str(int(number))
        else:
            _unreadable.append(os.environ[_ENV])
            os.environ[_ENV] = "0"


def backend() -> str:
    """Return the backend in use: ``"cuda"`` (a real GPU) or ``"simulator"``.

    Examples
    --------
    >>> import kernels
    >>> kernels.backend() in ("cuda", "simulator")
    True
    """
    config = sys.modules.get("numba.cuda.core.config")  # on every solve: no import machinery when loaded
    if config is None:
        from numba.cuda.core import config
    return "simulator" if config.ENABLE_CUDASIM else "cuda"


def device_problem() -> str | None:
    """Why the selected backend cannot run, in one sentence; None when it can.

    Only the CUDA backend without a usable driver and GPU has a problem: that
    happens when ``NUMBA_ENABLE_CUDASIM=0`` forces it on a machine without one
    (or ``numba.cuda`` was imported before ``kernels`` there).
    """
    if backend() != "cuda":
        return None
    if not _probed:
        _probed.append(driver_usable())
    if _probed[0]:
        return None
    if _unreadable:
        why = f"NUMBA_ENABLE_CUDASIM={_unreadable[0]!r} is not 0 or 1, and Numba reads what it cannot parse as 0"
    elif os.environ.get(_ENV) == "0":
        why = f"NUMBA_ENABLE_CUDASIM={_worded[0] if _worded else '0'} forces it"
    else:
        why = "numba.cuda was imported before kernels"
    return (f"no usable NVIDIA GPU and CUDA driver were found, but the CUDA backend is selected ({why}): "
            f"unset NUMBA_ENABLE_CUDASIM, or set it to 1, to run on Numba's CUDA simulator")


def require_device() -> None:
    """Raise :class:`DeviceUnavailableError` when :func:`device_problem` finds one."""
    problem = device_problem()
    if problem is not None:
        from .errors import DeviceUnavailableError

        raise DeviceUnavailableError(problem[0].upper() + problem[1:] + ".")
