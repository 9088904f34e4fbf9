"""ComponentLayout: what one component's kernel code reads from a verified Plan.

``BufferSettings.layout(plan)`` checks that the plan was made for the tree (the
same buffers, sizes, views and lifetimes) and verifies it (``Plan.verify``)
against the tree's problem at the plan's precision and block size, then hands
each component its placements, slices, local sizes and views by the names the
component declares. A name the component does not declare is a
ConfigurationError that lists the names (and the closest one).
"""

import os
from dataclasses import dataclass, field

from .buffers import Placement
from .device import without_shared_limit
from .errors import ConfigurationError
from .plan import Plan, own_array
from .problem import PlanningProblem
from .views import ViewWindow
from .wording import did_you_mean, name_list

__all__ = ["ComponentLayout", "LocalSizes", "SliceIndices", "check_plan", "check_plan_matches", "verify_for_tree"]


def _unknown(component, name, known, what="buffer", plural="buffers"):
    """The ConfigurationError for a name ``component`` does not declare."""
    return ConfigurationError(
        f"component {component!r} has no {what} {name!r}{did_you_mean(name, known)}; its {plural} are "
        f"{name_list(known)} (give the component's own, unqualified name: 'residual', not 'loop.step.residual')")


def _mismatch(tree, name, what, planned, declared):
    return ConfigurationError(
        f"plan does not match the component tree {tree.component!r}: buffer {name!r} {what} {planned} in the "
        f"plan but {declared} in the tree: the plan was made for another problem (another tree); re-plan this one "
        "(planner.solve(tree.to_problem(...))) and lay out that plan")


def check_plan(plan):
    """ConfigurationError unless ``plan`` is a Plan: a problem, a parsed JSON dict or a path raised a raw
    AttributeError ('dict' object has no attribute 'by_name') until 2026-12-05 (a user's trial)."""
    if isinstance(plan, Plan):
        return
    if isinstance(plan, PlanningProblem):
        got, remedy = "a PlanningProblem", "solve it first (plan = planner.solve(problem)) and lay out that plan"
    elif isinstance(plan, (str, bytes, os.PathLike)):
        got, remedy = f"the path {os.fspath(plan)!r}", "read the file with planner.load_plan(path)"
    elif isinstance(plan, dict):
        got, remedy = "a dict", "build one from parsed JSON with planner.Plan.from_json(data)"
    else:
        got, remedy = ("None" if plan is None else f"an object of type {type(plan).__name__}"), (
            "solve the tree's problem (planner.solve(tree.to_problem(...))), or read a plan file with "
            "planner.load_plan(path)")
    raise ConfigurationError(f"plan: expected a Plan, got {got}; {remedy}")


def check_plan_matches(tree, plan):
    """ConfigurationError naming the first buffer where ``plan`` differs from the tree's declarations."""
    planned = plan.by_name()
    declared = {b.name: b for b in tree.qualified_buffers()}
    for name, b in declared.items():
        if name not in planned:
            raise _mismatch(tree, name, "is", "missing", "declared")
    for name in planned:
        if name not in declared:
            raise _mismatch(tree, name, "is", "present", "not declared")
    persistent = {name for name, b in declared.items() if b.persistent}
    for name, b in declared.items():
        p = planned[name]
        if p.size_elems != b.size_elems:
            raise _mismatch(tree, name, "has size", p.size_elems, b.size_elems)
        if p.view_of != b.view_of:
            raise _mismatch(tree, name, "is a view of", repr(p.view_of), repr(b.view_of))
        if b.is_view:
            parent = planned[b.view_of]
            if p.offset_elems is not None and parent.offset_elems is not None and (
                    p.offset_elems - parent.offset_elems != b.view_offset_elems):
                raise _mismatch(tree, name, "has view offset", p.offset_elems - parent.offset_elems,
                                b.view_offset_elems)
            continue
        if p.placement is Placement.PERSISTENT_LOCAL and not b.persistent:
            raise _mismatch(tree, name, "is", "persistent", "not persistent")
        if b.persistent and p.placement is Placement.LOCAL:
            raise _mismatch(tree, name, "is", "not persistent", "persistent")
        if not b.persistent and tuple(p.lifetime) != tuple(b.lifetime):
            raise _mismatch(tree, name, "has lifetime", list(p.lifetime), list(b.lifetime))
    horizon = max((iv[1] for name, b in declared.items() if name not in persistent and not b.is_view
                   for iv in b.lifetime), default=1)
    for name in persistent:
        if tuple(planned[name].lifetime) != ((0, horizon),):
            raise _mismatch(tree, name, "has lifetime", list(planned[name].lifetime), [(0, horizon)])


def verify_for_tree(tree, plan):
    """``plan.verify`` against ``tree``'s problem at the plan's precision and block size.

    Every rule of :meth:`Plan.verify` is checked (pins, precisions, no-overlap, totals, views,
    local memory) except the shared budget, which depends on the device and limits the plan
    was made under, which a plan does not record: the launch checks it against the device.

    Raises
    ------
    PlanError
        The rule the plan breaks (``rule`` names it).
    """
    problem = tree.to_problem(precision=plan.precision, block_size=plan.block_size,
                              device=without_shared_limit("h100"))
    plan.verify(problem.replace(shared_capacity=plan.shared_elements))


class SliceIndices(dict):
    """Buffer name -> slice into a per-thread region; ``slice(0, 0)`` when the buffer is elsewhere.

    A name the component does not declare is a ConfigurationError naming the component's buffers.
    """

    def __init__(self, slices, component=None):
        super().__init__(slices)
        self.component = component

    def __missing__(self, name):
        raise _unknown(self.component, name, list(self))

    def __getattr__(self, name):
        if name.startswith("__") or name not in self:
            raise AttributeError(name)
        return self[name]


@dataclass(frozen=True)
class LocalSizes:
    """Sizes of a component's buffers for ``cuda.local.array``: ``local_sizes[name]`` (or ``.size(name)``).

    A view's size is its own; carve a local view from its parent's array instead of
    allocating one (:meth:`ComponentLayout.view`).
    """

    sizes: dict
    component: str = field(default=None, compare=False)

    def size(self, name):
        """The declared size of buffer ``name`` in elements."""
        if name not in self.sizes:
            raise _unknown(self.component, name, list(self.sizes))
        return self.sizes[name]

    def __getitem__(self, name):
        """``local_sizes[name]``: :meth:`size` (raised TypeError until 2026-12-05, though the repr shows a dict)."""
        return self.size(name)

    def __contains__(self, name):
        return name in self.sizes

    def __iter__(self):
        return iter(self.sizes)

    def nonzero(self, name):
        """max(size, 1): a local array may not be empty."""
        return max(self.size(name), 1)


class ComponentLayout:
    """What one component needs from a Plan: its buffers' placements, slices, views and totals."""

    def __init__(self, settings, plan, prefix):
        self.settings, self.plan, self.prefix = settings, plan, prefix
        planned = plan.by_name()
        self._entries, self._declared = {}, {}
        for b in settings.buffers:
            key = prefix + b.name
            if key not in planned:
                raise ConfigurationError(f"plan has no buffer {key!r}: it was made for another problem; "
                                         "re-plan this component tree")
            entry = planned[key]
            if entry.size_elems != b.size_elems:
                raise _mismatch(settings, key, "has size", entry.size_elems, b.size_elems)
            self._entries[b.name] = entry
            self._declared[b.name] = b

    def _entry(self, name):
        if name not in self._entries:
            raise _unknown(self.settings.component, name, list(self._entries))
        return self._entries[name]

    def placement(self, name):
        """Where buffer ``name`` (the component's own name) lives: a :class:`Placement`.

        A view lies where its parent does (:meth:`view` gives its parent and offset).
        """
        return self._entry(name).placement

    def view(self, name):
        """Where view ``name`` lies in its parent: a ViewWindow, or None when ``name`` is not a view.

        A view shares its parent's memory. Placed shared (or persistent local), its slice in
        :attr:`shared_indices` (:attr:`persistent_indices`) already lies inside its parent's. Placed
        local, or persistent local in a precision other than the plan's (an array of its own), the plan
        gives it no slice of its own: allocate its parent's array (``local_sizes.nonzero(parent)``) and
        take the view as ``parent_array[window.window]``, so that what is written through the view is
        read through the parent and back.

        Returns
        -------
        ViewWindow or None
            ``parent`` (the component's own name of the parent), ``offset_elems`` inside it and
            ``size_elems``.
        """
        self._entry(name)
        b = self._declared[name]
        if not b.is_view:
            return None
        return ViewWindow(b.view_of, b.view_offset_elems, b.size_elems)

    def _slices(self, placement):
        return SliceIndices({n: slice(e.offset_elems, e.offset_elems + e.size_elems)
                             if e.placement is placement and not own_array(self.plan, e) else slice(0, 0)
                             for n, e in self._entries.items()}, self.settings.component)

    @property
    def shared_indices(self):
        return self._slices(Placement.SHARED)

    @property
    def persistent_indices(self):
        """Buffer name -> slice of the thread's one persistent local array (``slice(0, 0)`` when elsewhere).

        The kernel allocates that array once per thread, in the plan's precision, of
        ``max(plan.persistent_local_elements, 1)`` elements (``plan.persistent_local_elements`` is 0 when no
        buffer is persistent local), as ``kernels`` does. A persistent buffer of another precision
        (:meth:`precision`; ``kernels`` declares none) is not in that array and counts nowhere in it: its slice
        is ``slice(0, 0)``; allocate it an array of its own, in its precision, of ``local_sizes.nonzero(name)``
        elements, once per thread beside that array (it took a slice of the plan-precision array, room that
        could not hold its elements, until 2026-12-06: a user's trial).
        """
        return self._slices(Placement.PERSISTENT_LOCAL)

    def precision(self, name):
        """Element type of buffer ``name``: its own where it declares one, else the plan's (a view's: its
        parent's)."""
        return self._entry(name).precision or self.plan.precision

    @property
    def local_sizes(self):
        return LocalSizes({n: e.size_elems for n, e in self._entries.items()}, self.settings.component)

    def _own(self, placement):
        return [e for n, e in self._entries.items() if e.placement is placement and e.view_of is None]

    @property
    def shared_memory_elements(self):
        return sum(e.size_elems for e in self._own(Placement.SHARED))

    @property
    def local_memory_elements(self):
        return sum(max(e.size_elems, 1) for e in self._own(Placement.LOCAL))

    @property
    def persistent_local_elements(self):
        """This component's elements in the plan-precision persistent array (its buffers of another precision
        have arrays of their own)."""
        return sum(e.size_elems for e in self._own(Placement.PERSISTENT_LOCAL) if not own_array(self.plan, e))

    @property
    def local_end(self):
        """Where this component's and its children's shared use ends (elements)."""
        ends = [e.offset_elems + e.size_elems for e in self._own(Placement.SHARED)]
        ends += [self.child(c.component).local_end for c in self.settings.children]
        return max(ends, default=0)

    def child(self, name):
        """The ComponentLayout of child component ``name``."""
        kids = {c.component: c for c in self.settings.children}
        if name not in kids:
            raise _unknown(self.settings.component, name, list(kids), "child", "children")
        return ComponentLayout(kids[name], self.plan, f"{self.prefix}{name}.")
