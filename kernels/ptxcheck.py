"""Compile a user device function to PTX and describe why it fails (no GPU needed).

This module imports nothing from ``kernels``: besides being imported, it is
run as a script (``python -P ptxcheck.py``) as the helper process of
:mod:`kernels.compilecheck`, with ``NUMBA_ENABLE_CUDASIM=0`` so that
``numba.cuda`` is the real CUDA target even where the calling process runs on
Numba's CUDA simulator (which has no compiler).

Protocol of the helper: requests and replies are pickles, each preceded by its
length as 8 little-endian bytes.  A request is ``(payload, n_args)`` where
``payload`` is a cloudpickle of the function; the reply is the dict of
:func:`compile_check`.  The helper exits when its input closes.
"""

from __future__ import annotations

import os
import pickle
import re
import struct
import sys
import traceback

CC = (9, 0)  # the compute capability checked against (H100); every feature a rhs uses exists there
PRECISIONS = ("float32", "float64")
_NUMBA_DIRS = None


def _numba_dirs():
    global _NUMBA_DIRS
    if _NUMBA_DIRS is None:
        import numba
        import numba.cuda

        _NUMBA_DIRS = tuple(os.path.dirname(os.path.abspath(m.__file__)) + os.sep for m in (numba, numba.cuda))
    return _NUMBA_DIRS


def _user_location(exc):
    """``(filename, line)`` of the innermost user-code location Numba was working on, or None.

    Numba-CUDA adds the location to the messages of its own errors, but errors that come
    from the typing of a NumPy call carry none; the typing frames still hold the IR
    location (``self.loc`` of the constraint, ``loc`` or ``inst.loc`` of the lowering).
    """
    found = None
    tb = exc.__traceback__
    while tb is not None:
        frame_locals = tb.tb_frame.f_locals
        for candidate in (getattr(frame_locals.get("self"), "loc", None), frame_locals.get("loc"),
                          getattr(frame_locals.get("inst"), "loc", None)):
            filename = getattr(candidate, "filename", None)
            line = getattr(candidate, "line", None)
            if isinstance(filename, str) and isinstance(line, int) and line > 0 \
                    and not os.path.abspath(filename).startswith(_numba_dirs()):
                found = (filename, line)
                break
        tb = tb.tb_next
    if found is None:
        for filename, line in re.findall(r" at (\S.*?) \((\d+)\)", str(exc)):
            if not os.path.abspath(filename).startswith(_numba_dirs()):
                found = (filename, int(line))
    return found


_NOISE = ("Failed in ", "During:", "raised from", "There are ", "- Of which", "Overload ", "With argument",
          "Rejected as", "- Resolution failure", "None", "No match", "NumbaTypeError:", "NumbaRuntimeError:",
          "TypingError:")


def _lines(message):
    """Numba's message without colour codes, blank lines and quoted source (``File ...`` up to ``^``)."""
    out, in_source = [], False
    for line in re.sub(r"\x1b\[[0-9;]*m", "", message).splitlines():
        line = line.strip()
        if line.startswith("File "):
            in_source = True
        elif in_source:
            in_source = line != "^"
        elif line:
            out.append(line)
    return out


def _summary(message, category):
    """Numba's headline with the signature it could not type, and the innermost reason."""
    lines = _lines(message)
    useful = [line for line in lines if not line.startswith(_NOISE)]
    if not useful:
        return lines[0] if lines else "unknown error"
    head = re.sub(r"Function\(<(?:built-in )?function (\w+)(?: at 0x[0-9a-f]+)?>\)", r"\1", useful[0])
    if head.endswith("found for signature:") and len(useful) > 1 and useful[1].startswith(">>>"):
        head = head[:-len(" found for signature:")] + " for " + useful[1][3:].strip()
    if category == "python-object":
        return next(what for word, what in _PYTHON_OBJECTS if word in message)
    if category == "allocation":
        if re.search(r"function _\w+ for", head):  # an internal helper: the user's code made an array
            head = "an operation here creates a new array"
        return f"{head} (device code cannot allocate arrays)"
    reason = useful[-1]
    if reason.startswith(">>>") or reason == head:
        return head
    return f"{head} ({reason})"


_PYTHON_OBJECTS = (("build_list", "a Python list is built here"), ("reflected list", "a Python list is used here"),
                   ("build_map", "a Python dict is built here"), ("DictType", "a Python dict is used here"),
                   ("build_set", "a Python set is built here"), ("unicode_type", "a string is used here"))


def _category(message):
    for word, _ in _PYTHON_OBJECTS:
        if word in message:
            return "python-object"
    if any(word in message for word in ("NRT required", "Only accept returning of array", "_ol_array_allocate")):
        return "allocation"
    return "other"


def compile_check(func, n_args, cc=CC):
    """Compile ``func(t, *arrays)`` for CUDA in float32 and float64; describe the first failure.

    ``cc`` is the compute capability compiled for.

    Returns
    -------
    dict
        ``{"ok": True}``; or ``{"ok": False, "precision", "error", "summary", "category",
        "filename", "line", "cc"}`` (filename and line None where Numba gives no user location);
        or ``{"unavailable": reason}`` when the CUDA compiler itself cannot run here.
    """
    from numba import cuda, types

    for precision in PRECISIONS:
        arr = types.Array(getattr(types, precision), 1, "A")
        sig = (types.float64,) + (arr,) * (n_args - 1)
        try:
            cuda.compile_ptx(func, sig, device=True, cc=cc)
        except ImportError as exc:  # NvvmSupportError: libNVVM not installed
            return {"unavailable": f"{type(exc).__name__}: {_summary(str(exc), None)}"}
        except Exception as exc:  # noqa: BLE001 - any failure of user code is the answer
            if type(exc).__name__ == "CudaSupportError":
                return {"unavailable": f"CudaSupportError: {_summary(str(exc), None)}"}
            location = _user_location(exc)
            return {"ok": False, "precision": precision, "error": type(exc).__name__,
                    "summary": _summary(str(exc), _category(str(exc))), "category": _category(str(exc)),
                    "filename": location[0] if location else None, "line": location[1] if location else None,
                    "cc": tuple(cc)}
    return {"ok": True}


def _read(stream):
    head = stream.read(8)
    if len(head) < 8:
        return None
    (size,) = struct.unpack("<Q", head)
    return stream.read(size)


def _write(stream, obj):
    data = pickle.dumps(obj)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _serve():
    """The helper process: answer requests until the input closes."""
    import types as pytypes

    import numba.cuda.dispatcher as dispatcher

    # Device functions that a rhs calls (NumPy's, ours) are compiled for the current device; there
    # is none here, so they are compiled for CC, like the rhs itself. This process only compiles.
    dispatcher.get_current_device = lambda: pytypes.SimpleNamespace(compute_capability=CC)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # anything else printed must not corrupt the replies
    while True:
        request = _read(stdin)
        if request is None:
            return
        try:
            payload, n_args = pickle.loads(request)
            func = pickle.loads(payload)
        except Exception as exc:  # noqa: BLE001
            _write(stdout, {"unavailable": f"the function could not be rebuilt for the check: "
                                           f"{type(exc).__name__}: {exc}"})
            continue
        try:
            _write(stdout, compile_check(func, n_args))
        except Exception:  # noqa: BLE001
            _write(stdout, {"unavailable": traceback.format_exc(limit=2)})


if __name__ == "__main__":
    _serve()
