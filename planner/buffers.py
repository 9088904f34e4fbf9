"""Buffers: the per-thread working arrays the planner places.

A Buffer is a frozen value. Inside a problem its name is qualified
(``component.buffer``) and its lifetime is integer intervals; inside a
component's BufferSettings the lifetime may instead name the component's
phases, ``(("first_phase", "last_phase"),)`` inclusive, which the settings
translate when they build a problem.
"""

import dataclasses
import enum
import functools
import math
import numbers
import re
from dataclasses import dataclass

from .errors import ConfigurationError, KeywordError
from .ints import is_int
from .lifetimes import normalize
from .wording import did_you_mean, unknown_keys

PRECISIONS = {"float16": 2, "float32": 4, "float64": 8}
#: How a local buffer's words are held (``Buffer.storage``): "registers" (the compiler keeps them as
#: values, spilling what does not fit), "memory" (every access a load or store wherever it is placed:
#: no registers), "memory if shared" (memory when placed shared, registers when local), "forwarded"
#: (local: each word written is read straight back, so the compiler holds none of its own; shared:
#: stored and loaded as declared).
STORAGE_FORMS = ("registers", "memory", "memory if shared", "forwarded")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


#: What a buffer name must be (:data:`_NAME`); a non-ASCII letter is a Python identifier's but not a name's.
NAME_RULE = ("expected ASCII identifiers (letters A-Z and a-z, digits, '_'; not starting with a digit) joined by "
             "'.', like 'dirk.stage_increment'")


def non_ascii_note(text):
    """``"; 'é', 'δ' are not ASCII: ..."`` naming the characters of ``text`` a name cannot hold, or "" when none:
    "expected identifiers" alone read as wrong for 'état_δ', which Python calls an identifier (a user's trial)."""
    if not isinstance(text, str) or text.isascii():
        return ""
    chars = non_ascii_chars(text)
    verb = "is" if len(chars) == 1 else "are"
    return f"; {', '.join(repr(c) for c in chars)} {verb} not ASCII: spell the name with ASCII letters"


def non_ascii_chars(text):
    """The characters of ``text`` that are not ASCII, each once, in order (what a name or a CSV id cannot hold)."""
    return list(dict.fromkeys(c for c in text if not c.isascii()))


class Location(enum.Enum):
    """Where a buffer is asked to live: pinned local, pinned shared, or planner's choice."""

    LOCAL = "local"
    SHARED = "shared"
    AUTO = "auto"


@dataclass(frozen=True)
class PhaseSpan:
    """A lifetime inside a component: from phase ``first`` to phase ``last``, both inclusive.

    Phase-name lifetimes exist only in a component's BufferSettings; a problem's
    buffers have integer ``[start, end)`` intervals (:mod:`planner.lifetimes`).
    """

    first: str
    last: str

    def __post_init__(self):
        for value in (self.first, self.last):
            if not isinstance(value, str) or not value:
                raise ConfigurationError(f"PhaseSpan: phase names must be non-empty strings, got {value!r}")


def in_memory(storage, placement):
    """Whether a buffer of ``storage`` (:data:`STORAGE_FORMS`) placed at ``placement`` is accessed by loads and stores."""
    return storage == "memory" or (storage == "memory if shared" and placement is Placement.SHARED)


def _is_phase_pair(item):
    return isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, str) for x in item)


class Placement(enum.Enum):
    """Where the planner put a buffer."""

    SHARED = "shared"
    LOCAL = "local"
    PERSISTENT_LOCAL = "persistent_local"


def parse_enum(kind, value, what):
    """Return ``kind(value)`` or raise a ConfigurationError listing the choices."""
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in kind)
        raise ConfigurationError(f"{what}: unknown value {value!r}; expected one of {choices}") from None


def itemsize(precision, what="precision"):
    """Bytes per element of a precision name (:func:`precision_name` turns a NumPy type or dtype into one)."""
    if not isinstance(precision, str) or precision not in PRECISIONS:
        raise ConfigurationError(_unknown_precision(precision, what))
    return PRECISIONS[precision]


#: Other spellings of the precision names that mean one width only: NumPy's type codes and C's names.  Not
#: ``"float"``, which NumPy reads as float64 and C as float32 (:func:`precision_name` asks which).
PRECISION_ALIASES = {"f2": "float16", "f4": "float32", "f8": "float64",
                     "half": "float16", "single": "float32", "double": "float64"}


def precision_name(precision, what="precision"):
    """The name in :data:`PRECISIONS` of ``precision``: a name, one of :data:`PRECISION_ALIASES`, a NumPy float
    type (``np.float64``) or dtype (``np.dtype("float64")``); ConfigurationError for anything else.

    NumPy's are read by their ``__name__`` or ``name`` (duck typing: the planner imports no NumPy), so that a
    precision ``kernels.Integrator`` takes is taken here too (a user's trial: ``to_problem(precision=np.float64)``
    was refused as an unknown precision).
    """
    name = _spelled_name(precision)
    if name not in PRECISIONS:
        raise ConfigurationError(_unknown_precision(precision, what))
    return name


def _spelled_name(precision):
    """The precision name ``precision`` spells (which may be no precision's), or None where it spells none."""
    if isinstance(precision, str):
        return PRECISION_ALIASES.get(precision, precision)
    if isinstance(precision, type):  # np.float64, or Python's float (named "float": refused, see _float_hint)
        return precision.__name__
    name, size = getattr(precision, "name", None), getattr(precision, "itemsize", None)  # a dtype
    if isinstance(name, str) and isinstance(size, int) and PRECISIONS.get(name, size) == size:
        return name
    return None


def _unknown_precision(precision, what):
    """The message for a ``precision`` that is no precision name, with the name to pass where it spells one."""
    choices = ", ".join(repr(p) for p in PRECISIONS)
    name = _spelled_name(precision)
    if name in PRECISIONS:  # a NumPy type, dtype or alias where only a name is read (itemsize)
        return f"{what}: expected a precision name ({choices}), got {precision!r}: pass {name!r}"
    read = f" (read as {name!r})" if name and not isinstance(precision, str) else ""
    numpy = "" if isinstance(precision, str) else ", or a NumPy float type or dtype of one (np.float64)"
    return (f"{what}: unknown precision {precision!r}{read}; expected one of {choices}{numpy}"
            f"{_integer_hint(name)}{_float_hint(name)}")


def _float_hint(name):
    """For ``"float"`` (the string, or Python's float type): that its width is ambiguous; else ""."""
    if name != "float":
        return ""
    return "; 'float' is float64 to NumPy and float32 to C: name the one you mean"


def _integer_hint(precision):
    """For an integer type's name (``int32``, ``uint16``): how to declare it, since the planner reads only the bytes
    an element (a kernel developer's int32 index buffer was just "unknown", a user's trial); else ""."""
    if not isinstance(precision, str) or not re.fullmatch(r"u?int(16|32|64)?", precision.lower()):
        return ""
    return ("; the planner needs only bytes per element: declare a 4-byte integer buffer as float32 and an 8-byte "
            "one as float64 (a 2-byte one as float16)")


def _check_count(value, what, minimum=0):
    """``int(value)``; ConfigurationError unless it is an integer (NumPy's too, not a bool) >= ``minimum``."""
    if not is_int(value) or value < minimum:
        raise ConfigurationError(f"{what}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Buffer:
    """One per-thread working array.

    Parameters
    ----------
    name : str
        Identifier, unique inside its component (qualified ``a.b`` in a problem).
    size_elems : int
        Size in elements of the precision; 0 is legal and costs nothing.
    location : Location
        ``LOCAL`` or ``SHARED`` pin the placement; ``AUTO`` lets the planner decide.
    persistent : bool
        Alive on the whole timeline (survives from one step to the next).
    lifetime : tuple of (int, int) or tuple of (str, str)
        Half-open program-point intervals, or inclusive phase-name pairs
        inside a component. Ignored (whole timeline) for persistent buffers. A view
        lives when its parent does: it may leave it out or repeat its parent's.
    weight : float or None
        Accesses per step; the placement objective prefers heavy buffers in shared.
        None (the default) means 1.0 for a buffer and 0.0 for a view: a view's
        accesses are its parent's, and the planners and the cost model add a
        view's weight to its parent's, so give a view a weight only for the
        accesses made through it that its parent's weight does not count.
    precision : str or None
        Element type: a name of :data:`PRECISIONS` (a NumPy float type or dtype, or a name of
        :data:`PRECISION_ALIASES`, is held as its name); None means the problem's precision (a view's
        is its parent's).
    view_of : str or None
        Name of the buffer whose data this one views; a view is never planned.
    view_offset_elems : int
        Offset of the view inside its parent, in elements.
    spans_invocations : int
        Inside a component only: 0 (default) gives the buffer one interval per
        invocation of its component; ``k >= 1`` keeps it alive from its first
        to its last use across all invocations of its component within one
        invocation of the ancestor ``k`` levels up (an iteration matrix
        factored by the linear solver and reused by every Newton iteration and
        stage of one step). Where a phase within those levels runs its children
        ``times > 1`` times, the buffer is alive over that whole phase (every
        repetition). At most the levels above it plus one (the root's own):
        checked for a buffer of a child component only. A buffer of the root
        component is not checked: the root is invoked once, so any ``k >= 1``
        acts as 1 there (alive from its first to its last use), and a
        component planned alone, as its tests plan a solver, may declare the
        levels it spans once embedded.
    storage : str
        How its code holds it (:data:`STORAGE_FORMS`): what the cost model
        counts as registers and as memory accesses.  No layout depends on it.
    """

    name: str
    size_elems: int
    location: Location = Location.AUTO
    persistent: bool = False
    lifetime: tuple = ()
    weight: float = None
    precision: str = None
    view_of: str = None
    view_offset_elems: int = 0
    spans_invocations: int = 0
    storage: str = "registers"

    def __post_init__(self):
        what = f"buffer {self.name!r}"
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ConfigurationError(f"buffer name {self.name!r}: {NAME_RULE}{non_ascii_note(self.name)}")
        object.__setattr__(self, "size_elems", _check_count(self.size_elems, f"{what} size"))
        object.__setattr__(self, "location", parse_enum(Location, self.location, f"{what} location"))
        if not isinstance(self.persistent, bool):
            raise ConfigurationError(f"{what} persistent: expected true or false, got {self.persistent!r}")
        weight = self.weight
        if weight is None:
            weight = 0.0 if self.view_of is not None else 1.0
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not math.isfinite(weight) or weight < 0:
            raise ConfigurationError(f"{what} weight: expected a finite number >= 0, got {weight!r}")
        object.__setattr__(self, "weight", float(weight))
        if self.precision is not None:  # a NumPy type or dtype held as its name (to_json, comparisons)
            object.__setattr__(self, "precision", precision_name(self.precision, f"{what} precision"))
        if self.view_of is not None:
            if not isinstance(self.view_of, str) or not _NAME.match(self.view_of):
                raise ConfigurationError(f"{what} view_of: expected a buffer name, got {self.view_of!r}"
                                         f"{non_ascii_note(self.view_of)}")
            object.__setattr__(self, "view_offset_elems", _check_count(self.view_offset_elems, f"{what} view offset"))
        elif self.view_offset_elems != 0:
            raise ConfigurationError(f"{what}: view offset {self.view_offset_elems} given without view_of")
        object.__setattr__(self, "spans_invocations", _check_count(self.spans_invocations, f"{what} spans_invocations"))
        if self.storage not in STORAGE_FORMS:
            raise ConfigurationError(f"{what} storage: expected one of {list(STORAGE_FORMS)}, got {self.storage!r}")
        object.__setattr__(self, "lifetime", self._lifetime(what))

    def _lifetime(self, what):
        raw = tuple(tuple(iv) if isinstance(iv, list) else iv for iv in self.lifetime)
        if self.persistent and raw and all(isinstance(iv, PhaseSpan) or _is_phase_pair(iv) for iv in raw):
            # a component's declaration: it was accepted and ignored (a user's trial); integer intervals on a
            # persistent Buffer stay accepted here (and dropped), but a problem file refuses them too
            # (planner.problem.buffer_from_json, since 2026-12-06)
            raise ConfigurationError(f"{what}: persistent=True with lifetime {raw!r}; a persistent buffer lives the "
                                     "whole kernel (every step), so a lifetime cannot narrow it: drop the lifetime, "
                                     "or drop persistent=True")
        if self.persistent or (self.view_of is not None and not raw):
            return ()
        if not raw:
            raise ConfigurationError(
                f"{what} lifetime: empty; give at least one [start, end) interval or mark it persistent")
        if all(isinstance(iv, PhaseSpan) or _is_phase_pair(iv) for iv in raw):
            return tuple(iv if isinstance(iv, PhaseSpan) else PhaseSpan(*iv) for iv in raw)
        if any(isinstance(iv, PhaseSpan) for iv in raw):
            raise ConfigurationError(f"{what} lifetime: phase spans and integer intervals cannot be mixed; "
                                     f"got {raw!r}")
        if len(raw) == 2 and all(isinstance(iv, str) for iv in raw):  # one span without its outer tuple
            raise ConfigurationError(f"{what} lifetime: expected a sequence of spans, got the two names {raw!r}: "
                                     f"for one span from phase {raw[0]!r} to {raw[1]!r} write lifetime=({raw!r},) "
                                     "(a tuple of (first, last) pairs)")
        return normalize(raw, f"{what} lifetime")

    @property
    def is_view(self):
        return self.view_of is not None

    @property
    def has_phase_lifetime(self):
        return bool(self.lifetime) and isinstance(self.lifetime[0], PhaseSpan)

    def renamed(self, name, lifetime, view_of=None, weight=None):
        """A copy with a qualified name and integer lifetime (used when embedding)."""
        return Buffer(name, self.size_elems, self.location, self.persistent, lifetime,
                      self.weight if weight is None else weight, self.precision, view_of, self.view_offset_elems,
                      storage=self.storage)

    def in_memory(self, placement):
        """Whether its accesses are loads and stores (no registers) when placed at ``placement``."""
        return in_memory(self.storage, placement)

    def holds_registers(self, placement):
        """Whether, placed at ``placement`` (not shared), its words count as live registers."""
        return placement is not Placement.SHARED and self.storage in ("registers", "memory if shared")

    def relocated(self, location):
        """A copy asking for ``location`` (a pin, or AUTO)."""
        return dataclasses.replace(self, location=location)

    def to_json(self):
        """The JSON form :meth:`from_json` reads back to an equal Buffer; a component's phase-name lifetime is
        written as ``[first, last]`` pairs of phase names, as it is declared (``(("a", "b"),)``)."""
        data = {"name": self.name, "size": self.size_elems, "location": self.location.value,
                "persistent": self.persistent, "lifetime": [_interval_json(iv) for iv in self.lifetime],
                "weight": self.weight}
        if self.precision is not None:
            data["precision"] = self.precision
        if self.view_of is not None:
            data["view_of"] = self.view_of
            data["view_offset"] = self.view_offset_elems
        if self.storage != "registers":
            data["storage"] = self.storage
        if self.spans_invocations:
            data["spans_invocations"] = self.spans_invocations
        return data

    @classmethod
    def from_json(cls, data, index=0):
        """Build from the JSON form; unknown keys and missing keys are errors.

        A lifetime of ``[first, last]`` phase-name pairs is a component's (:meth:`to_json` writes one so);
        a problem file's reader refuses it (``PlanningProblem.from_json``: a problem needs program points).
        """
        where = f"buffers[{index}]"
        if not isinstance(data, dict):
            raise ConfigurationError(f"{where}: expected an object, got {type(data).__name__}")
        check_json_keys(data, where, JSON_KEYS)
        for key in ("name", "size"):
            if key not in data:
                raise ConfigurationError(f"{where}: missing required key {key!r}")
        lifetime = data.get("lifetime", [])
        if not isinstance(lifetime, list):
            raise ConfigurationError(f"{where} lifetime: expected a list of [start, end] pairs, got {lifetime!r}")
        return cls(name=data["name"], size_elems=data["size"], location=data.get("location", "auto"),
                   persistent=data.get("persistent", False), lifetime=tuple(lifetime),
                   weight=data.get("weight"), precision=data.get("precision"),
                   view_of=data.get("view_of"), view_offset_elems=data.get("view_offset", 0),
                   storage=data.get("storage", "registers"), spans_invocations=data.get("spans_invocations", 0))


#: A Buffer's JSON keys; a problem file's buffer takes them less ``spans_invocations`` (a component's).
JSON_KEYS = frozenset({"name", "size", "location", "persistent", "lifetime", "weight", "precision",
                       "view_of", "view_offset", "storage", "spans_invocations"})


def check_json_keys(data, where, allowed):
    """ConfigurationError naming the keys of ``data`` beyond ``allowed``, and listing ``allowed``."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigurationError(unknown_keys(where, unknown, allowed))


def _interval_json(interval):
    """One lifetime interval's JSON form: ``[start, end]``, or ``[first, last]`` for a PhaseSpan."""
    return [interval.first, interval.last] if isinstance(interval, PhaseSpan) else list(interval)


#: A Buffer's JSON keys that its Python keywords spell with their unit (DESIGN.md fixes the JSON keys).
_JSON_KEYWORDS = {"size": "size_elems", "view_offset": "view_offset_elems"}


def check_buffer_keywords(args, kwargs):
    """KeywordError (a ConfigurationError and a TypeError) for a keyword a Buffer does not take: the closest one
    it does, and for a JSON key (``size``, ``view_offset``) the Python keyword it is. Returns quietly when every
    keyword is known."""
    known = [f.name for f in dataclasses.fields(Buffer)]
    unknown = [key for key in kwargs if key not in known]
    if not unknown:
        return
    key = unknown[0]
    name = args[0] if args else kwargs.get("name")
    what = f"Buffer {name!r}" if isinstance(name, str) else "Buffer"
    hint = (f" (the JSON key; the Python keyword is {_JSON_KEYWORDS[key]!r})" if key in _JSON_KEYWORDS
            else did_you_mean(key, known))
    raise KeywordError(f"{what}: unknown keyword argument {key!r}{hint}; it takes {', '.join(known)}")


def _checked_init(generated):
    """The dataclass's ``__init__``, made to turn Python's bare TypeError for an unknown keyword into a
    ConfigurationError (a user's trial: ``lifetme=``, and ``view_offset=`` as a problem file spells it).
    The check runs only once the generated ``__init__`` has failed: no cost to the thousands of buffers a
    problem builds."""
    @functools.wraps(generated)
    def __init__(self, *args, **kwargs):
        try:
            generated(self, *args, **kwargs)
        except TypeError:
            check_buffer_keywords(args, kwargs)
            raise
    return __init__


Buffer.__init__ = _checked_init(Buffer.__init__)
