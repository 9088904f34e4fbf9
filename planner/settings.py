"""Component BufferSettings: declared buffers on a phase timeline, and their planned layout.

A component (the loop, an algorithm step, Newton, a linear solver) declares
ordered phases and its buffers, whose lifetimes name phases (inclusive
pairs). A phase may invoke child components; each invocation embeds the
child's whole timeline into that phase, so a child invoked from several
phases gets one interval per invocation. A phase with no children is one
program point long; a phase with children is as long as they are together.
"""

from dataclasses import dataclass

from .buffers import Buffer, Placement
from .errors import ConfigurationError
from .problem import PlanningProblem


@dataclass(frozen=True)
class Phase:
    """One step of a component's timeline; ``invokes`` names child components run in it, in order."""

    name: str
    invokes: tuple = ()

    def __post_init__(self):
        if isinstance(self.invokes, str):
            object.__setattr__(self, "invokes", (self.invokes,))
        else:
            object.__setattr__(self, "invokes", tuple(self.invokes))


@dataclass(frozen=True)
class BufferSettings:
    """The buffers and children of one component.

    Parameters
    ----------
    component : str
        Component name; prefixes its buffers' qualified names.
    phases : tuple of Phase
        The component's timeline, in order.
    buffers : tuple of Buffer
        Lifetimes as ``((first_phase, last_phase), ...)``; persistent buffers and views need none.
    children : tuple of BufferSettings
        Components invoked from the phases.
    """

    component: str
    phases: tuple
    buffers: tuple = ()
    children: tuple = ()

    def __post_init__(self):
        for key in ("phases", "buffers", "children"):
            object.__setattr__(self, key, tuple(getattr(self, key)))
        where = f"component {self.component!r}"
        if not self.phases:
            raise ConfigurationError(f"{where}: needs at least one phase")
        names = [p.name for p in self.phases]
        _unique(names, f"{where} phases")
        _unique([b.name for b in self.buffers], f"{where} buffers")
        _unique([c.component for c in self.children], f"{where} children")
        children = {c.component for c in self.children}
        invoked = set()
        for phase in self.phases:
            for child in phase.invokes:
                if child not in children:
                    raise ConfigurationError(f"{where} phase {phase.name!r} invokes unknown child {child!r}; "
                                             f"children are {sorted(children)}")
                invoked.add(child)
        if children - invoked:
            raise ConfigurationError(f"{where}: child(ren) {sorted(children - invoked)} never invoked by a phase")
        own = {b.name: b for b in self.buffers}
        for b in self.buffers:
            if b.is_view:
                if b.view_of not in own or own[b.view_of].is_view:
                    raise ConfigurationError(f"{where} buffer {b.name!r}: view_of {b.view_of!r} is not "
                                             "a planned buffer of this component")
                continue
            if b.persistent:
                continue
            if not b.has_phase_lifetime:
                raise ConfigurationError(f"{where} buffer {b.name!r}: lifetime must name phases, "
                                         f"like (('{names[0]}', '{names[-1]}'),); got {b.lifetime!r}")
            for first, last in b.lifetime:
                for p in (first, last):
                    if p not in names:
                        raise ConfigurationError(f"{where} buffer {b.name!r}: unknown phase {p!r}; phases are {names}")
                if names.index(last) < names.index(first):
                    raise ConfigurationError(f"{where} buffer {b.name!r}: lifetime ({first!r}, {last!r}) is reversed")

    # -- timeline ------------------------------------------------------
    @property
    def length(self):
        """Program points one invocation of this component spans."""
        return sum(self._phase_length(p) for p in self.phases)

    def _phase_length(self, phase):
        kids = self._children()
        return max(1, sum(kids[c].length for c in phase.invokes))

    def _children(self):
        return {c.component: c for c in self.children}

    def _phase_starts(self, base):
        starts, t = {}, base
        for phase in self.phases:
            starts[phase.name] = (t, t + self._phase_length(phase))
            t += self._phase_length(phase)
        return starts

    def _collect(self, prefix, base, out):
        """Add this invocation's intervals at ``base`` to ``out[qualified] -> (buffer, [intervals])``."""
        starts = self._phase_starts(base)
        for b in self.buffers:
            entry = out.setdefault(f"{prefix}{b.name}", (b, []))
            if not b.persistent and not b.is_view:
                entry[1].extend((starts[first][0], starts[last][1]) for first, last in b.lifetime)
        kids = self._children()
        for phase in self.phases:
            t = starts[phase.name][0]
            for name in phase.invokes:
                kids[name]._collect(f"{prefix}{name}.", t, out)
                t += kids[name].length

    def qualified_buffers(self):
        """The component tree's buffers with qualified names and integer lifetimes."""
        out = {}
        self._collect(f"{self.component}.", 0, out)
        result = []
        for name, (b, intervals) in out.items():
            view_of = None
            if b.is_view:
                view_of = name[: len(name) - len(b.name)] + b.view_of
            result.append(b.renamed(name, tuple(intervals), view_of))
        return tuple(result)

    def to_problem(self, precision="float32", block_size=128, device="h100", objective="min-shared",
                   min_blocks_per_sm=1):
        """The PlanningProblem of this component tree (this component is the root)."""
        return PlanningProblem(buffers=self.qualified_buffers(), precision=precision, block_size=block_size,
                               device=device, objective=objective, min_blocks_per_sm=min_blocks_per_sm)

    def layout(self, plan, prefix=None):
        """The ComponentLayout of this component under ``plan``."""
        return ComponentLayout(self, plan, f"{self.component}." if prefix is None else prefix)


def _unique(names, what):
    seen = set()
    for n in names:
        if n in seen:
            raise ConfigurationError(f"{what}: duplicate name {n!r}")
        seen.add(n)


class SliceIndices(dict):
    """Buffer name -> slice into a per-thread region; ``slice(0, 0)`` when the buffer is elsewhere."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class LocalSizes:
    """Sizes of a component's buffers for ``cuda.local.array``."""

    sizes: dict

    def size(self, name):
        return self.sizes[name]

    def nonzero(self, name):
        """max(size, 1): a local array may not be empty."""
        return max(self.sizes[name], 1)


class ComponentLayout:
    """What one component needs from a Plan: its buffers' placements, slices and totals."""

    def __init__(self, settings, plan, prefix):
        self.settings, self.plan, self.prefix = settings, plan, prefix
        planned = plan.by_name()
        self._entries = {}
        for b in settings.buffers:
            key = prefix + b.name
            if key not in planned:
                raise ConfigurationError(f"plan has no buffer {key!r}: it was made for another problem")
            self._entries[b.name] = planned[key]

    def placement(self, name):
        return self._entries[name].placement

    def _slices(self, placement):
        return SliceIndices({n: slice(e.offset_elems, e.offset_elems + e.size_elems)
                             if e.placement is placement else slice(0, 0) for n, e in self._entries.items()})

    @property
    def shared_indices(self):
        return self._slices(Placement.SHARED)

    @property
    def persistent_indices(self):
        return self._slices(Placement.PERSISTENT_LOCAL)

    @property
    def local_sizes(self):
        return LocalSizes({n: e.size_elems for n, e in self._entries.items()})

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
        return sum(e.size_elems for e in self._own(Placement.PERSISTENT_LOCAL))

    @property
    def local_end(self):
        """Where this component's and its children's shared use ends (elements)."""
        ends = [e.offset_elems + e.size_elems for e in self._own(Placement.SHARED)]
        ends += [self.child(c.component).local_end for c in self.settings.children]
        return max(ends, default=0)

    def child(self, name):
        kids = {c.component: c for c in self.settings.children}
        if name not in kids:
            raise ConfigurationError(f"component {self.settings.component!r} has no child {name!r}")
        return ComponentLayout(kids[name], self.plan, f"{self.prefix}{name}.")
