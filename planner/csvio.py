"""Files: MiniMalloc CSV instances as PlanningProblems, JSON reading with clear errors, atomic writes.

A MiniMalloc instance (google/minimalloc; the ASPLOS 2023 paper's
benchmarks) is a CSV file with the header ``id,lower,upper,size``: buffer
``id`` is alive on the half-open interval ``[lower, upper)`` and needs
``size`` units. The capacity is not in the file; the published instances
carry it in their names (``A.1048576.csv``).

Read as a PlanningProblem, every buffer is pinned to shared memory, the
block size is 1 and the unit is one element, so ``shared_capacity`` is the
capacity in the same units as the sizes and the planners solve exactly
MiniMalloc's problem: fit every buffer under the capacity without two
buffers that are alive together overlapping in address. Its device is
:data:`MINIMALLOC_DEVICE`, an H100 without a limit on shared memory: the
capacity is an abstract memory's, not a GPU block's.

Every text input may start with a UTF-8 byte-order mark (Excel's "CSV UTF-8").
"""

import contextlib
import csv
import dataclasses
import json
import os
import re
import stat
import tempfile

from .buffers import Buffer, Location, non_ascii_chars
from .device import PRESETS
from .errors import ConfigurationError, PlannerError
from .ints import is_int
from .plan import Plan
from .plancheck import refuse_problem
from .problem import PlanningProblem

COLUMNS = ("id", "lower", "upper", "size")
CAPACITY_LIMIT = 10 ** 18  # capacities and sizes stay below it: CP-SAT's 64-bit integers must hold their sums
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INT = re.compile(r"^-?[0-9]+$")
#: The device of a MiniMalloc problem: an H100 whose shared memory per SM and per block is unbounded (below
#: CP-SAT's 64-bit range), so that any capacity below 10^18 elements is a valid ``shared_capacity``.
MINIMALLOC_DEVICE = dataclasses.replace(PRESETS["h100"], name="minimalloc", shared_bytes_per_sm=2 ** 62,
                                        max_shared_bytes_per_block=2 ** 62, reserved_shared_bytes_per_block=0,
                                        shared_alloc_unit_bytes=1)


def capacity_from_name(path):
    """The capacity a MiniMalloc file name carries (``A.1048576.csv`` -> 1048576), or None."""
    parts = os.path.basename(os.fspath(path)).split(".")[1:-1]
    numbers = [int(p) for p in parts if p.isdigit()]
    return numbers[-1] if numbers else None


def check_capacity(capacity, what="capacity"):
    """ConfigurationError unless ``capacity`` is an integer in 0 .. CAPACITY_LIMIT - 1."""
    if not is_int(capacity) or capacity < 0:
        raise ConfigurationError(f"{what}: expected an integer >= 0, got {capacity!r}")
    capacity = int(capacity)
    if capacity >= CAPACITY_LIMIT:
        raise ConfigurationError(
            f"{what}: {capacity} is too large; the planner takes capacities below 10^18 "
            f"({CAPACITY_LIMIT}), so that CP-SAT's 64-bit integers hold every offset plus size; "
            "give a smaller capacity (no layout needs more than the sum of the sizes)")
    return capacity


def buffer_name(ident):
    """A planner buffer name for a MiniMalloc id: the id itself when it is an ASCII
    identifier, else ``b`` followed by the id with other characters as ``_`` (``_buffers`` refuses an id
    that is not ASCII first)."""
    if _IDENT.match(ident):
        return ident
    return "b" + re.sub(r"[^A-Za-z0-9_]", "_", ident)


def load_minimalloc_csv(path, capacity=None, overrides=None):
    """Read a MiniMalloc CSV file as a PlanningProblem.

    Parameters
    ----------
    path : str or os.PathLike
        CSV file with the header ``id,lower,upper,size`` (any column order).
    capacity : int or None
        Capacity in size units (``shared_capacity``). None takes the number in
        the file name, like ``A.1048576.csv``.

    Returns
    -------
    PlanningProblem
        Every buffer pinned shared, ``block_size`` 1, ``shared_capacity`` the capacity.

    Raises
    ------
    ConfigurationError
        A missing or wrong header, a row that is not four integers, a duplicate
        id, an empty or reversed interval, a negative size, or no capacity; also a
        file that cannot be read (missing, a directory, not readable), named.
    """
    # The file first, so that a broken file says what is wrong with it before a missing capacity is named.
    check_path(path, "path")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            try:
                rows = list(csv.reader(handle))
            except (csv.Error, UnicodeDecodeError) as exc:
                raise ConfigurationError(f"{os.fspath(path)}: unreadable CSV ({exc})") from None
    except OSError as exc:
        raise ConfigurationError(os_error_message(exc, path)) from None
    buffers = _buffers(os.fspath(path), rows)
    if not buffers:
        raise ConfigurationError(f"{os.fspath(path)}: a header and no rows; there is nothing to plan "
                                 f"(add one line {','.join(COLUMNS)} per buffer)")
    if capacity is None:
        capacity = capacity_from_name(path)
        if capacity is None:
            raise ConfigurationError(
                f"{os.fspath(path)}: no capacity; pass one (--capacity N on the command line) "
                "or name the file like 'A.1048576.csv'")
    capacity = check_capacity(capacity)
    settings = {"precision": "float32", "block_size": 1, "device": MINIMALLOC_DEVICE, **(overrides or {})}
    try:
        return PlanningProblem(buffers=tuple(buffers), shared_capacity=capacity, **settings)
    except ConfigurationError as exc:  # a device given for it whose shared memory the capacity passes
        if not str(exc).startswith("shared_capacity: "):
            raise
        text = str(exc)[len("shared_capacity: "):].replace(" per thread, or leave shared_capacity out to derive "
                                                           "it from the device", " per thread (--capacity N)")
        raise ConfigurationError(f"{os.fspath(path)}: capacity {text}, or leave the device out: a MiniMalloc "
                                 "problem is planned for a memory of its capacity") from None


def _buffers(where, rows):
    rows = [(i + 1, row) for i, row in enumerate(rows) if any(cell.strip() for cell in row)]
    if not rows:
        raise ConfigurationError(f"{where}: empty file; expected the header {','.join(COLUMNS)}")
    header = [cell.strip().lower() for cell in rows[0][1]]
    if sorted(header) != sorted(COLUMNS):
        raise ConfigurationError(f"{where} line {rows[0][0]}: header {','.join(header)!r}; "
                                 f"expected the columns {','.join(COLUMNS)}")
    column = {name: header.index(name) for name in COLUMNS}
    buffers, seen = [], {}
    for line, row in rows[1:]:
        if len(row) != len(COLUMNS):
            raise ConfigurationError(f"{where} line {line}: expected {len(COLUMNS)} values "
                                     f"({','.join(header)}), got {len(row)}: {','.join(row)!r}")
        ident = row[column["id"]].strip()
        values = {}
        for key in ("lower", "upper", "size"):
            text = row[column[key]].strip()
            if not _INT.match(text):
                raise ConfigurationError(f"{where} line {line}: {key} {text!r} is not an integer")
            values[key] = int(text)
            if abs(values[key]) >= CAPACITY_LIMIT:
                raise ConfigurationError(f"{where} line {line}: {key} {text} is too large; the planner takes "
                                         f"values below 10^18 ({CAPACITY_LIMIT})")
        _check_ascii_id(f"{where} line {line}", ident)
        name = buffer_name(ident) if ident else ""
        if name in seen:
            first_line, first_ident = seen[name]
            if first_ident == ident:
                raise ConfigurationError(f"{where} line {line}: duplicate id {ident!r} (first on line {first_line})")
            raise ConfigurationError(
                f"{where} line {line}: id {ident!r} and id {first_ident!r} on line {first_line} both become the "
                f"buffer name {name!r} (ids that are not identifiers become 'b' and the id with other characters "
                "as '_'); give them ids that stay distinct")
        seen[name] = (line, ident)
        _check_interval(f"{where} line {line}", ident, values["lower"], values["upper"])
        try:
            buffers.append(Buffer(name, values["size"], Location.SHARED,
                                  lifetime=((values["lower"], values["upper"]),)))
        except PlannerError as exc:
            raise ConfigurationError(f"{where} line {line}: {exc}") from None
    return buffers


def _check_ascii_id(where, ident):
    """ConfigurationError for an id with non-ASCII characters: each would become '_' in the buffer name (``é``
    was planned as ``b_`` without a word, a user's trial), which loses the id; ``a-b`` -> ``ba_b`` stays legible."""
    if ident.isascii():
        return
    chars = ", ".join(repr(c) for c in non_ascii_chars(ident))
    raise ConfigurationError(f"{where}: id {ident!r} has characters that are not ASCII ({chars}); buffer names are "
                             f"ASCII identifiers (letters A-Z and a-z, digits, '_'), and an id's other characters "
                             f"would become '_' (this one {buffer_name(ident)!r}), losing it: give ASCII ids")


def _check_interval(where, ident, lower, upper):
    """ConfigurationError unless ``lower < upper``, worded in the CSV's columns and its half-open ``[lower, upper)``:
    the lifetime check's ``interval [2, 2] is empty`` printed a row's half-open interval as closed (a user's trial)."""
    if lower < upper:
        return
    state = "empty" if lower == upper else "reversed"
    raise ConfigurationError(f"{where}: id {ident!r}: lower {lower} is not below upper {upper}, so its interval "
                             f"[{lower}, {upper}) is {state}; a buffer is alive on [lower, upper): give upper > lower")


def read_json(path, csv_hint=False):
    """Parse a JSON file; malformed text, duplicate keys or bad encoding -> ConfigurationError.

    ``csv_hint``: the file may be a problem, so text that looks like CSV adds that a MiniMalloc CSV needs a
    name ending in .csv (a CSV named otherwise, or /dev/stdin, only said "malformed JSON").
    """
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ConfigurationError(f"{path}: duplicate key(s) {dup} in one JSON object")
        return dict(pairs)

    check_path(path, "path")
    try:
        with open(path, encoding="utf-8-sig") as handle:
            try:
                text = handle.read()  # read once: /dev/stdin and pipes cannot be read again for the hint
                return json.loads(text, object_pairs_hook=no_duplicates)
            except json.JSONDecodeError as exc:
                at = "" if exc.msg.endswith(" at") else " at"  # "Unterminated string starting at" has its own
                hint = _csv_hint(text) if csv_hint else ""
                raise ConfigurationError(f"{path}: malformed JSON: {exc.msg}{at} line {exc.lineno} "
                                         f"column {exc.colno}{hint}") from None
            except UnicodeDecodeError as exc:
                raise ConfigurationError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigurationError(os_error_message(exc, path)) from None


def _csv_hint(text):
    """``; it looks like CSV ...`` when the first non-blank line of ``text`` has commas and does not open JSON."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if "," not in first or first.startswith(("{", "[")):
        return ""
    return ("; it looks like CSV: a MiniMalloc CSV problem is read only from a file whose name ends in .csv "
            "(like 'problem.csv'); rename or copy it to one")


def os_error_message(exc, path=None):
    """``cannot access 'PATH': REASON`` for an OSError: the one wording of a file that cannot be read or
    written, in the loaders' ConfigurationErrors and the command line's error line. ``path`` names the file
    when the error does not (a failed write carries no file name)."""
    name = exc.filename if exc.filename is not None else path
    where = f" {os.fspath(name)!r}" if isinstance(name, (str, bytes, os.PathLike)) else ""
    return f"cannot access{where}: {exc.strerror or exc}"


def check_path(path, what):
    """ConfigurationError unless ``path`` is a file name: a non-empty str, bytes or os.PathLike."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        got = repr(path) if path is None else f"{path!r} ({type(path).__name__})"
        raise ConfigurationError(f"{what}: expected a file name (str or os.PathLike), got {got}")
    if not os.fspath(path):
        raise ConfigurationError(f"{what}: expected a file name, got an empty one ({path!r})")


def atomic_write(path, data):
    """Write bytes, or ``write(handle)`` for a callable, to ``path`` through a temporary file in the
    same folder and a rename: readers see the old file or the whole new one, never a part.

    A replaced file keeps its permission bits; a new one gets 0666 less the umask.
    A symbolic link is followed: the file it names is replaced, the link stays. A path that
    exists and is no regular file (``/dev/stdout``, ``/dev/null``, a FIFO, a device) is written
    straight through, without the rename that would replace it with a regular file.
    """
    staged_write(path, data).commit()


class StagedWrite:
    """A file written to its temporary beside ``path`` and not yet renamed over it: :meth:`commit` replaces
    ``path``, :meth:`discard` removes the temporary (a no-op once committed)."""

    def __init__(self, path, tmp=None, target=None):
        self.path, self.tmp, self.target = path, tmp, target

    def commit(self):
        if self.tmp is None:
            return
        try:
            with _naming(self.path):
                os.replace(self.tmp, self.target)
        finally:
            self.discard()

    def discard(self):
        if self.tmp is not None and os.path.lexists(self.tmp):
            os.unlink(self.tmp)
        self.tmp = None


def staged_write(path, data):
    """:func:`atomic_write` up to the rename, which the StagedWrite returned does on ``commit()``; a path
    that is no regular file is written straight through now (its StagedWrite commits nothing)."""
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except OSError:  # absent, or a dangling link: a new regular file at the link's target
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with _naming(path), open(path, "wb") as handle:  # a write error (/dev/full) names no file
            _write(handle, data)
        return StagedWrite(path)
    target = os.path.realpath(path) if os.path.islink(path) else path
    directory = os.path.dirname(os.path.abspath(target))
    with _naming(path):
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".planner-", suffix=".tmp")
    try:
        with _naming(path), os.fdopen(fd, "wb") as handle:  # a full disk names the temporary file, or none
            _write(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None:  # mkstemp makes 0600; a new file gets the usual permissions
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, stat.S_IMODE(mode))  # a replaced file keeps its own (a private 0600 stays private)
    except BaseException:
        os.unlink(tmp)
        raise
    return StagedWrite(path, tmp, target)


@contextlib.contextmanager
def _naming(path):
    """An OSError raised inside names ``path``, the user's file, instead of a temporary file or none."""
    try:
        yield
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, path) from None


def _write(handle, data):
    if callable(data):
        data(handle)
    else:
        handle.write(data)


def load_problem(path, capacity=None, overrides=None):
    """A PlanningProblem from a file: PlanningProblem JSON, or a MiniMalloc CSV (a name ending in ``.csv``).

    ``capacity`` is the ``shared_capacity`` to use (for a CSV, instead of the number in the file name);
    ``overrides`` (``device``, ``block_size``, ``min_blocks_per_sm``) replace the file's before the problem is
    made, so that its capacity is checked against the device and block size it is planned for (checked at the
    file's block size, a problem the command line was told to plan at a smaller one was refused: a regression
    hunt). A plan file is refused as such. A file that cannot be read is a ConfigurationError naming it.
    """
    check_path(path, "load_problem: path")
    overrides = dict(overrides or {})
    if is_csv(path):
        return load_minimalloc_csv(path, capacity=capacity, overrides=overrides)
    data = read_json(path, csv_hint=True)
    if isinstance(data, dict) and {"totals", "provenance"} & set(data):
        raise ConfigurationError(f"{os.fspath(path)} is a plan (it has 'totals' and 'provenance'), not a problem; "
                                 "give the problem it was made from (PlanningProblem JSON or MiniMalloc CSV)")
    if capacity is not None:
        overrides["shared_capacity"] = capacity
    if overrides and isinstance(data, dict):  # in place of the file's: checked against the device once
        data = {**data, **overrides}
    return PlanningProblem.from_json(data)


def load_plan(path):
    """A Plan from a JSON file (as ``planner plan --json`` writes it); a problem file is refused as such.

    A file that cannot be read is a ConfigurationError naming it (``cannot access 'PATH': Is a directory``).
    """
    check_path(path, "load_plan: path")
    where = os.fspath(path)
    if is_csv(path):
        raise ConfigurationError(f"{where} is a MiniMalloc CSV problem, not a plan; make a plan of it with "
                                 f"'planner plan {where} --json plan.json'")
    data = read_json(path)
    refuse_problem(data, where, f"'planner plan {where} --json plan.json'")
    return Plan.from_json(data)


def is_csv(path):
    """Whether ``path`` names a MiniMalloc CSV (by its suffix)."""
    return os.fspath(path).lower().endswith(".csv")
