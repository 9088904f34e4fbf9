"""An index out of range in a user function: whether it read or wrote there, and what that does on a GPU.

The host checks (:class:`kernels.ODESystem`'s construction check, an event function's run on the system's test
arrays) and the simulator's :class:`~kernels.errors.UserFunctionError` see an IndexError where a user function
indexes past an array.  A GPU checks no index: a read there takes whatever lies past the array (another
trajectory's data or garbage), a write overwrites memory the kernel does not own, and neither raises.  Messages
say which of the two the function did: the instruction that raised, in the innermost frame of the user's code,
is a subscript read (``BINARY_SUBSCR``; Python 3.14's ``BINARY_OP []``) or write (``STORE_SUBSCR``), and its
source span is the subscript as written (``p[3]``).  Where it is neither (an index inside a NumPy call) the
message says "reads or writes".
"""

from __future__ import annotations

import dis
import linecache
import re

__all__ = ["index_access", "gpu_effect"]

#: What each kind of access past an array does on a GPU (no index is checked there).
_EFFECTS = {
    "reads": "another trajectory's data or garbage, with no error",
    "writes": "it overwrites another trajectory's data or the integrator's own, with no error",
    "reads and writes": "it reads another trajectory's data or garbage and overwrites it, with no error",
    "reads or writes": "another trajectory's data or garbage is read, or overwritten, with no error",
}

_SUBSCRIPT = re.compile(r"[A-Za-z_][\w.]*\s*\[(?P<index>.+)\]")


def index_access(exc):
    """``(verb, text)`` of the IndexError ``exc``: ``verb`` is "reads", "writes", "reads and writes" (an
    augmented assignment, ``dydt[i] += ...``) or "reads or writes" where the raising instruction does not tell;
    ``text`` the subscript as written (``p[3]``), or "" where the source is not at hand."""
    tb = _user_traceback(exc)
    if tb is None:
        return "reads or writes", ""
    code, lasti = tb.tb_frame.f_code, tb.tb_lasti
    instructions = list(dis.get_instructions(code))
    at = next((i for i in instructions if i.offset == lasti), None)
    if at is None:
        return "reads or writes", ""
    if at.opname == "STORE_SUBSCR":
        verb = "writes"
    elif at.opname == "BINARY_SUBSCR" or (at.opname == "BINARY_OP" and at.argrepr == "[]"):
        stored = any(i.opname == "STORE_SUBSCR" and i.positions == at.positions for i in instructions
                     if i.offset > lasti)  # dydt[i] += x reads dydt[i], then stores there
        verb = "reads and writes" if stored else "reads"
    else:
        return "reads or writes", ""
    return verb, _source(tb.tb_frame, at.positions, exc)


def gpu_effect(exc):
    """What the IndexError ``exc`` of a user function does on a GPU, as a clause: ``"p[3], an index out of range,
    reads memory the kernel does not own: another trajectory's data or garbage, with no error"``."""
    verb, text = index_access(exc)
    subject = f"{text}, an index out of range," if text else "an index out of range"
    return f"{subject} {verb} memory the kernel does not own: {_EFFECTS[verb]}"


def _user_traceback(exc):
    """The innermost traceback entry of ``exc`` in the user's code (not the library's, Numba's or Python's), or
    None.  A function that cloudpickle sent by value (a Dask worker) counts as the user's."""
    from .user_faults import DYNAMIC_CODE, library_file  # (user_faults imports this module)

    found, tb = None, exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == DYNAMIC_CODE or not library_file(filename):
            found = tb
        tb = tb.tb_next
    return found


def _source(frame, positions, exc):
    """The source text of ``positions`` (one line; column offsets count UTF-8 bytes) in ``frame``'s file where it
    reads as the subscript that raised ``exc``, else "".  A function whose float literals were rewritten
    (:mod:`kernels.literals`) was compiled from its dedented source: its columns are then short by the indentation
    of its ``def``, which is tried second."""
    from .user_faults import DYNAMIC_CODE

    code = frame.f_code
    filename = frame.f_globals.get("__file__") if code.co_filename == DYNAMIC_CODE else code.co_filename
    if positions is None or positions.lineno is None or positions.lineno != positions.end_lineno or not filename:
        return ""
    line = linecache.getline(filename, positions.lineno).encode("utf-8")
    first = linecache.getline(filename, code.co_firstlineno)
    index = re.search(r"index (-?\d+) is out of bounds", str(exc))
    for shift in dict.fromkeys((0, len(first) - len(first.lstrip()))):
        text = line[positions.col_offset + shift:positions.end_col_offset + shift].decode("utf-8", "replace")
        found = _SUBSCRIPT.fullmatch(text.strip())
        if found and (index is None or not found["index"].strip().lstrip("-").isdigit()
                      or int(found["index"]) == int(index[1])):
            return text.strip()
    return ""
