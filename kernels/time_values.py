"""Values free of t that the reading of an rhs cannot name as numbers, kept apart by where they come from.

:mod:`kernels.time_branches` reads a branch on t as a switch of each name its arms bind to different values.  A value
free of t that is not a number read from the source (a state, a parameter, an element of an array at an index not
read) was the one :data:`kernels.time_pieces.FREE`, so two arms that bound different such values looked alike: a
3-machine swing model's fault window ``if 1.0 <= t < 1.05: k = KFAULT[i, j] else: k = KPOST[i, j]`` inside its
coupling loops recorded no switch, and tsit5 stepped over the fault with status success and no SamplingWarning (a
power engineer's trial).  Each such value bound to a name is now a token of its own (:class:`Unknowns`): equal to
FREE in every other use, and the same token only for the same source reading the same values of the same locals,
so arms that really bind the same thing (``k = p[0]`` in both) still record no switch.  And a conditional
expression that only picks the larger or smaller side of its comparison is read as ``max`` or ``min``
(:func:`selected`).
"""

from __future__ import annotations

import ast

from .time_pieces import FREE, Form, exact

__all__ = ["Unknowns", "unnamed", "plain", "selected"]


def unnamed(value):
    """Whether ``value`` is a value free of t not read as a number (FREE, or one of :class:`Unknowns`' tokens)."""
    return isinstance(value, Form) and not exact(value) and value == FREE


def plain(value):
    """``value``, with a token of :class:`Unknowns` as FREE (where only dependence on t counts, not which value)."""
    return FREE if unnamed(value) else value


def _identity(value):
    """What tells a local's value apart in a token's key: a number read, by its number (``s = 0.0`` in each arm is
    one value, read twice); any other, by the object."""
    constant = value.pieces.constant if isinstance(value, Form) and exact(value) else None
    return ("number", constant) if constant is not None else id(value)


class Unknowns:
    """The tokens of one function's reading: :meth:`named` gives each unknown value bound a token keyed by the
    source that computed it (its ``ast.dump``), a tag (the name bound) and the objects the locals it reads hold."""

    def __init__(self):
        self._made, self._sources = {}, {}

    def named(self, value, node, env, tag=None):
        """``value`` as bound to a name from ``node`` (an expression or statement; None: no source): itself where
        it is a number read or depends on t; else its token, the same for the same source, ``tag`` and locals."""
        if node is None or not unnamed(value):
            return value
        if node not in self._sources:
            names = sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name)})
            self._sources[node] = (ast.dump(node), names)
        text, names = self._sources[node]
        inputs = tuple(env[n] for n in names if n in env)
        key = (text, tag, tuple(map(_identity, inputs)))
        if key not in self._made:
            self._made[key] = (Form(), inputs)  # the inputs kept alive: their ids stay theirs
        return self._made[key][0]


def selected(node):
    """``(max or min, left, right)`` where the conditional expression ``node`` picks the larger or smaller of the two
    sides of its one comparison (``c if c > 0.0 else 0.0``, ``0.0 if c < 0.0 else c``), else None: continuous in t
    wherever both sides are, so read as the selecting function (photolysis clipped at night drew the pulse warning,
    as unreadable, where ``max(c, 0.0)`` did not: an atmospheric chemist's trial)."""
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and
            isinstance(test.ops[0], (ast.Gt, ast.GtE, ast.Lt, ast.LtE))):
        return None
    left, right = test.left, test.comparators[0]
    sides, arms = (ast.dump(left), ast.dump(right)), (ast.dump(node.body), ast.dump(node.orelse))
    greater = isinstance(test.ops[0], (ast.Gt, ast.GtE))
    if arms == sides:  # left if left > right else right
        return (max if greater else min), left, right
    if arms == sides[::-1]:  # right if left > right else left
        return (min if greater else max), left, right
    return None
