"""Views: what a view may declare beside its parent, and where a view lies in a layout.

A view (``Buffer.view_of``) names a window of its parent's elements: it shares its
parent's memory, so it lives where and when its parent does, in its parent's
precision. Its own lifetime, persistence or precision could only disagree with
that; they are refused unless they repeat the parent's.
"""

from dataclasses import dataclass, replace

from .errors import ConfigurationError
from .wording import name_list


@dataclass(frozen=True)
class ViewWindow:
    """Where a view lies: its parent (a name of the same component) and its offset inside it.

    Parameters
    ----------
    parent : str
        The parent buffer's name, as the component declares it (unqualified).
    offset_elems : int
        Offset of the view's first element inside its parent, in elements.
    size_elems : int
        The view's size in elements.
    """

    parent: str
    offset_elems: int
    size_elems: int

    @property
    def window(self):
        """``slice(offset, offset + size)``: the view's elements inside its parent's array."""
        return slice(self.offset_elems, self.offset_elems + self.size_elems)


def check_parent(view, parent, where, scope, buffers=None):
    """ConfigurationError unless ``parent`` (a Buffer or None) is a planned buffer ``view`` may view.

    ``where`` opens the message (``"buffer 'c.v'"``), ``scope`` names what the parent must belong to.
    ``buffers`` (name -> Buffer of the scope, optional) lets a chain of views be followed: a cycle
    (``a -> b -> a``) is named as one, and a chain is pointed at the planned buffer it ends on.
    """
    if parent is None:
        raise ConfigurationError(f"{where}: view_of {view.view_of!r} is not a planned buffer of this {scope}; "
                                 f"expected the name of a buffer of this {scope} that is not a view")
    if parent.name == view.name:
        raise ConfigurationError(f"{where}: view_of {view.view_of!r} names the buffer itself; a buffer cannot be a view "
                                 f"of itself: point view_of at the planned buffer it shares data with, or drop view_of")
    if parent.is_view:
        chain, root, offset = view_chain(view, {**(buffers or {}), parent.name: parent})
        if root is None:
            raise ConfigurationError(
                f"{where}: view_of forms a cycle: {' -> '.join(chain)}; a view must view a planned buffer (one "
                f"that is not a view), so no buffer of the cycle holds the data: drop view_of from the one that "
                f"should hold it, or point view_of at a planned buffer")
        raise ConfigurationError(
            f"{where}: view_of {view.view_of!r} is not a planned buffer: it is itself a view of "
            f"{parent.view_of!r}, and views of views are not supported; point view_of at {root!r} "
            f"and add {_offsets_text(chain[1:-1], offset)} to this view's")


def _offsets_text(between, offset):
    """``'v''s view offset 1``, or for views viewing views ``the view offsets of ['v', 'u'] (3 in all)``."""
    if len(between) == 1:
        return f"{between[0]!r}'s view offset {offset}"
    return f"the view offsets of {name_list(between)} ({offset} in all)"


def view_chain(view, buffers):
    """(names from ``view`` along ``view_of``, the planned buffer it ends on or None, the offsets added).

    The chain stops at a buffer that is not a view (the root), at a name ``buffers`` lacks (root: that
    name, as far as can be told), or where a name comes back (a cycle: root None, the name repeated last).
    """
    chain, offset, current = [view.name], 0, view
    while current.is_view:
        if current.view_of in chain:
            return chain + [current.view_of], None, offset
        if current is not view:
            offset += current.view_offset_elems
        chain.append(current.view_of)
        current = buffers.get(current.view_of)
        if current is None:
            break
    return chain, chain[-1], offset


def check_view(view, parent, where, precision=None):
    """ConfigurationError unless ``view`` declares no lifetime, persistence or precision of its own.

    A view may repeat its parent's: its lifetime the parent's (or none), ``persistent`` the parent's,
    its precision the parent's (resolved with ``precision``, the problem's, where one is known).
    """
    remedy = (f"a view shares its parent's memory and lifetime; drop it from the view and declare it on the "
              f"parent {parent.name!r} (or view another buffer)")
    if view.persistent and not parent.persistent:
        raise ConfigurationError(f"{where}: a view declared persistent, but its parent {parent.name!r} is not; "
                                 + remedy)
    if view.lifetime and tuple(view.lifetime) != tuple(parent.lifetime):
        shown = "persistent (the whole timeline)" if parent.persistent else _lifetime_text(parent.lifetime)
        raise ConfigurationError(f"{where}: a view declares lifetime {_lifetime_text(view.lifetime)}, but its "
                                 f"parent {parent.name!r} lives {shown}; " + remedy)
    mine, theirs = view.precision, parent.precision or precision  # a view's None: its parent's precision
    if mine is not None and theirs is not None and mine != theirs:
        raise ConfigurationError(f"{where}: a view declares precision {view.precision!r}, but its parent "
                                 f"{parent.name!r} holds {theirs}; " + remedy)
    if view.spans_invocations and view.spans_invocations != parent.spans_invocations:
        raise ConfigurationError(f"{where}: a view declares spans_invocations={view.spans_invocations}, but its "
                                 f"parent {parent.name!r} has {parent.spans_invocations}; " + remedy)


def _lifetime_text(lifetime):
    """``[0, 2) [5, 7)`` for integer intervals, ``('a', 'c')`` for phase spans (inclusive)."""
    return " ".join(f"({iv.first!r}, {iv.last!r})" if hasattr(iv, "first") else f"[{iv[0]}, {iv[1]})"
                    for iv in lifetime)


def fold_view_weights(buffers):
    """Planned buffers with each view's weight added to its parent's (views left out).

    A view's accesses are its parent's: the planners and the cost model read these weights.
    """
    extra = {}
    for b in buffers:
        if b.is_view and b.weight:
            extra[b.view_of] = extra.get(b.view_of, 0.0) + b.weight
    return tuple(replace(b, weight=b.weight + extra[b.name]) if b.name in extra else b
                 for b in buffers if not b.is_view)
