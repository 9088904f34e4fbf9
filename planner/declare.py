"""Checks of a component's declaration (Phase, BufferSettings), made before anything is built from it.

A declaration mistake (phase names given as strings, a single Phase instead of a tuple, a dict as a
buffer) used to surface as a raw AttributeError or TypeError deep inside the planner, or not at all
(buffers planned as ``None.p``). Each is one ConfigurationError here, naming the argument, what was
expected and what was given.
"""

import re

from .buffers import Buffer
from .errors import ConfigurationError
from .wording import did_you_mean

# A component name is one part of its buffers' qualified names, which are ASCII identifiers joined by dots
# (planner.buffers): a dash, a leading digit or a non-ASCII letter passed the declaration and failed at to_problem,
# blaming the buffer (a regression hunt)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _got(value):
    """``value`` as a message shows it: its repr and, where that does not say it, its type."""
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__} ({text[:57]}...)"


def check_component_name(name):
    """ConfigurationError unless ``name`` is an ASCII identifier: it prefixes every buffer name of the component
    (``component.buffer``), and qualified names are identifiers joined by dots."""
    if not isinstance(name, str) or not _IDENT.match(name):
        raise ConfigurationError(
            f"BufferSettings component: expected an ASCII identifier (letters A-Z and a-z, digits, '_'; not starting "
            f"with a digit), like 'newton' or 'newton_krylov', got {_got(name)}; it prefixes the component's buffer "
            f"names (component.buffer)")
    return name


def check_phase_name(name):
    """ConfigurationError unless a phase name is a non-empty string (lifetimes name phases by it)."""
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"Phase name: expected a non-empty string, like Phase('residual'), got {_got(name)}")
    return name


def check_invokes(phase_name, invokes):
    """``invokes`` as a tuple of child component names; ConfigurationError for anything else (None, a
    BufferSettings, a number)."""
    where = f"phase {phase_name!r} invokes"
    if isinstance(invokes, str):
        invokes = (invokes,)
    elif _iterable(invokes):  # a tuple, a list, a generator, dict.keys() (a regression hunt)
        invokes = tuple(invokes)
    else:
        raise ConfigurationError(f"{where}: expected a child component's name or a tuple of names, like "
                                 f"invokes=('newton',) (or () for none), got {_got(invokes)}")
    for item in invokes:
        if not isinstance(item, str) or not item:
            hint = (f"; name it by its component, invokes={item.component!r}" if hasattr(item, "component")
                    else "")
            raise ConfigurationError(f"{where}: expected child component names (strings), got {_got(item)}{hint}")
    return invokes


def check_members(component, key, value, kind, example):
    """``value`` as a tuple whose items are all ``kind``; ConfigurationError naming ``key`` otherwise.

    A single item (``phases=Phase('a')``) and items of another type (``phases=('a', 'b')``) are the
    mistakes this catches; ``example`` is how a correct item is written.
    """
    where = f"component {component!r} {key}"
    if isinstance(value, kind):
        raise ConfigurationError(f"{where}: expected a tuple of {kind.__name__}, got a single {kind.__name__}; "
                                 f"write {key}=({example},)")
    if isinstance(value, (str, bytes, dict)) or not _iterable(value):
        raise ConfigurationError(f"{where}: expected a tuple of {kind.__name__}, like {key}=({example},), "
                                 f"got {_got(value)}")
    value = tuple(value)  # a list, a generator, map(...), dict.values() (a regression hunt)
    for item in value:
        if not isinstance(item, kind):
            raise ConfigurationError(f"{where}: expected {kind.__name__} objects, like {example}, got "
                                     f"{_got(item)}{_member_hint(kind, item)}")
    return tuple(value)


def _iterable(value):
    """Whether ``value`` is an ordered collection or iterator (a tuple, a list, a generator, dict views); a set
    is not: its order, which sets the phases' timeline, changes from process to process (a regression hunt)."""
    if isinstance(value, (set, frozenset)) or hasattr(value, "component"):
        return False
    try:
        iter(value)
    except TypeError:
        return False
    return True


def _member_hint(kind, item):
    """What to write instead of ``item`` where a ``kind`` was expected."""
    if kind is Buffer and isinstance(item, dict):
        return "; build it with Buffer(name, size, ...) (Buffer.from_json(d) reads a problem file's buffer)"
    if isinstance(item, str) and kind.__name__ == "Phase":
        return f"; write Phase({item!r})"
    if isinstance(item, str) and kind.__name__ == "BufferSettings":
        return f"; pass the child component's BufferSettings, not its name {item!r}"
    return ""


def check_keywords(what, given, known):
    """ConfigurationError for keyword arguments ``given`` that ``what`` does not take (a misspelt one)."""
    for key in given:
        raise ConfigurationError(f"{what}: unknown keyword argument {key!r}{did_you_mean(key, known)}; "
                                 f"it takes {', '.join(known)}")
