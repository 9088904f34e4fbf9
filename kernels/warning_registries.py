"""Python's record of the warnings it has shown, kept across the filter changes of code that a solve runs.

Under the "default" filter Python shows a warning once per place: it records ``(text, category, line)`` in the
``__warningregistry__`` of the module of the line.  Every change of the filters (``warnings.catch_warnings``,
``simplefilter``, ``filterwarnings``) moves a version that makes every such record stale, and the next warning through
a stale record clears it, so a warning already shown is shown again.  A solve changes the filters without the user:
Numba's type inference records its notes in a ``catch_warnings`` of its own at every compile (the float32 range
check's CPU compile, a kernel's on a GPU), and a first import does (the planner's OR-Tools, SciPy's integrators).
A float32 ToleranceWarning showed at the first two solves of a fit, then never (a modeller's trial).

:func:`registries_kept` (a context manager; :func:`keeps_registries` the decorator) keeps the records: at its exit,
where the version moved inside, the records written since it started are carried to the new one, each entry only where
the filters at exit act on it as those at entry did (a filter added for its category, ``"always"`` say, lets it show
again, as Python would).  A record that a warning cleared inside, after a change that no nested block carried it
across, is not recovered: a change in a solve's path is best wrapped where it happens (as the range check's compile is).
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
import warnings

__all__ = ["registries_kept", "keeps_registries", "filters_version"]

_IGNORE_ALL = [("ignore", None, Warning, None, 0)]
_SWAP = threading.Lock()  # one swap of the filters at a time in this process


def filters_version():
    """Python's version of the warnings filters (moved at every change of them), or None where it cannot be read.

    Python has no reading of it; a warning passed through a fresh registry writes it there, before any filter is
    consulted.  That warning meets filters rebound to ignore it for the call: a rebinding, which moves no version, not a
    change of the filter list (:func:`warnings.catch_warnings` changes it).  About 2 us, in which another thread's
    warning is ignored too (as under ``catch_warnings``, no safer).  Python's context-aware warnings (3.14, on by
    default where free-threaded) read no module-level filters: None there."""
    if getattr(sys.flags, "context_aware_warnings", False):
        return None
    probe = {}
    with _SWAP:  # two threads swapping at once could each restore the other's ignore-all list, for good (a hunt)
        held = warnings.filters
        try:
            warnings.filters = _IGNORE_ALL
            warnings.warn_explicit("", Warning, "", 0, registry=probe)
        except Exception:  # noqa: BLE001 - another Python's warnings: nothing is kept, as before
            return None
        finally:
            warnings.filters = held
    version = probe.get("version")
    return version if isinstance(version, int) else None


@contextlib.contextmanager
def registries_kept():
    """Run the block, then carry the shown-warning records stale only through filter changes made inside it to the
    filters' new version (:func:`_carried`); costs two :func:`filters_version` where nothing changed them, and never
    fails the block."""
    start = filters_version()
    before = list(warnings.filters)
    try:
        yield
    finally:
        if start is not None:
            _carried(start, before)


def keeps_registries(function):
    """``function`` run inside :func:`registries_kept`, by a wrapper of this package (so that :func:`warn_user` still
    names the user's line: ``contextlib``'s own wrapper took its place)."""
    @functools.wraps(function)
    def kept(*args, **kwargs):
        with registries_kept():
            return function(*args, **kwargs)

    return kept


def _carried(start, before):
    """Every module's ``__warningregistry__`` written at version ``start`` or a later one short of the current (one a
    nested :func:`registries_kept` carried it to, where the block changed the filters again after) moved to the current
    one, keeping the entries the filters now act on as ``before`` (those at ``start``) did (:func:`_same_action`)."""
    try:
        now = filters_version()
        if now is None or now == start:
            return
        after = list(warnings.filters)
        for module in list(sys.modules.values()):
            namespace = getattr(module, "__dict__", None)
            registry = namespace.get("__warningregistry__") if isinstance(namespace, dict) else None
            version = registry.get("version") if isinstance(registry, dict) else None
            if isinstance(version, int) and start <= version < now:
                kept = {key: value for key, value in registry.items() if key != "version" and (
                    before == after or _same_action(key, namespace.get("__name__"), before, after))}
                registry.clear()
                registry.update(kept, version=now)
    except Exception:  # noqa: BLE001 - the records stay stale: a warning may show once more, as before
        return


def _same_action(key, module, before, after):
    """Whether the first filter of ``before`` and of ``after`` that match the registry entry ``key`` (``(text,
    category, line)``) of ``module`` (its name) is the same one (Python's own matching: a message and a module as
    regular expressions, or as text to equal)."""
    try:
        return _first_filter(before, key, module) == _first_filter(after, key, module)
    except Exception:  # noqa: BLE001 - an entry not of that shape: dropped, as Python would drop it
        return False


def _first_filter(filters, key, module):
    """The first filter of ``filters`` that matches ``key`` (``(text, category, line)``) of ``module``; None."""
    text, category, line = key

    def matches(pattern, value):
        return pattern is None or (pattern == value if isinstance(pattern, str) else bool(pattern.match(value)))

    for item in filters:
        _, message, kind, where, at = item
        if matches(message, text) and issubclass(category, kind) and matches(where, module) and at in (0, line):
            return item
    return None
