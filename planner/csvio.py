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
buffers that are alive together overlapping in address.
"""

import csv
import json
import os
import re
import tempfile

from .buffers import Buffer, Location
from .errors import ConfigurationError, PlannerError
from .problem import PlanningProblem

COLUMNS = ("id", "lower", "upper", "size")
CAPACITY_LIMIT = 10 ** 18  # capacities and sizes stay below it: CP-SAT's 64-bit integers must hold their sums
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INT = re.compile(r"^-?[0-9]+$")


def capacity_from_name(path):
    """The capacity a MiniMalloc file name carries (``A.1048576.csv`` -> 1048576), or None."""
    parts = os.path.basename(os.fspath(path)).split(".")[1:-1]
    numbers = [int(p) for p in parts if p.isdigit()]
    return numbers[-1] if numbers else None


def check_capacity(capacity, what="capacity"):
    """ConfigurationError unless ``capacity`` is an integer in 0 .. CAPACITY_LIMIT - 1."""
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
        raise ConfigurationError(f"{what}: expected an integer >= 0, got {capacity!r}")
    if capacity >= CAPACITY_LIMIT:
        raise ConfigurationError(
            f"{what}: {capacity} is too large; the planner takes capacities below 10^18 "
            f"({CAPACITY_LIMIT}), so that CP-SAT's 64-bit integers hold every offset plus size; "
            "give a smaller capacity (no layout needs more than the sum of the sizes)")
    return capacity


def buffer_name(ident):
    """A planner buffer name for a MiniMalloc id: the id itself when it is an
    identifier, else ``b`` followed by the id with other characters as ``_``."""
    if _IDENT.match(ident):
        return ident
    return "b" + re.sub(r"[^A-Za-z0-9_]", "_", ident)


def load_minimalloc_csv(path, capacity=None):
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
        id, an empty or reversed interval, a negative size, or no capacity.
    OSError
        The file cannot be read.
    """
    # The file first, so that a broken file says what is wrong with it before a missing capacity is named.
    with open(path, newline="", encoding="utf-8") as handle:
        try:
            rows = list(csv.reader(handle))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"{os.fspath(path)}: unreadable CSV ({exc})") from None
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
    check_capacity(capacity)
    return PlanningProblem(buffers=tuple(buffers), precision="float32", block_size=1,
                           shared_capacity=capacity)


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
        name = buffer_name(ident) if ident else ""
        if name in seen:
            raise ConfigurationError(f"{where} line {line}: duplicate id {ident!r} (first on line {seen[name]})")
        seen[name] = line
        try:
            buffers.append(Buffer(name, values["size"], Location.SHARED,
                                  lifetime=((values["lower"], values["upper"]),)))
        except PlannerError as exc:
            raise ConfigurationError(f"{where} line {line}: {exc}") from None
    return buffers


def read_json(path):
    """Parse a JSON file; malformed text, duplicate keys or bad encoding -> ConfigurationError."""
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ConfigurationError(f"{path}: duplicate key(s) {dup} in one JSON object")
        return dict(pairs)

    with open(path, encoding="utf-8") as handle:
        try:
            return json.load(handle, object_pairs_hook=no_duplicates)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"{path}: malformed JSON: {exc.msg} at line {exc.lineno} "
                                     f"column {exc.colno}") from None
        except UnicodeDecodeError as exc:
            raise ConfigurationError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def atomic_write(path, data):
    """Write bytes, or ``write(handle)`` for a callable, to ``path`` through a temporary file in the
    same folder and a rename: readers see the old file or the whole new one, never a part."""
    directory = os.path.dirname(os.path.abspath(os.fspath(path)))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".planner-", suffix=".tmp")
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, os.fspath(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
