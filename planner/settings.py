"""Component BufferSettings: declared buffers on a phase timeline, and their planned layout.

A component (the loop, an algorithm step, Newton, a linear solver) declares
ordered phases and its buffers, whose lifetimes are :class:`PhaseSpan`s
(inclusive pairs of phase names). A phase may invoke child components; each
invocation embeds the child's whole timeline into that phase, so a child
invoked from several phases gets one interval per invocation, unless its
buffer is declared to span invocations (``Buffer.spans_invocations``). A
phase that runs its children ``times`` times (Newton iterations) embeds them
once and scales their access weights by ``times``; a buffer spanning
invocations across such a phase (a value carried from one iteration to the
next) is alive over all of the phase. A phase with no children
is one program point long; a phase with children is as long as they are
together.
"""

import fnmatch
from dataclasses import dataclass, replace

from .buffers import Buffer, Location, PhaseSpan, parse_enum
from .declare import check_component_name, check_invokes, check_keywords, check_members, check_phase_name
from .errors import ConfigurationError
from .ints import is_int
from .layout import ComponentLayout, LocalSizes, SliceIndices, check_plan, check_plan_matches, verify_for_tree
from .problem import PlanningProblem
from .views import check_parent, check_view

__all__ = ["Phase", "PhaseSpan", "BufferSettings", "ComponentLayout", "SliceIndices", "LocalSizes"]


@dataclass(frozen=True)
class Phase:
    """One step of a component's timeline.

    Parameters
    ----------
    name : str
    invokes : tuple of str
        Child components run in this phase, in order.
    times : int
        How often the children run per execution of the phase (at most): the
        timeline embeds them once, and their access weights are scaled by it.
        Only the children read it: on a phase without ``invokes`` it changes
        nothing (the phase's own buffers keep their weights and lifetimes).
    """

    name: str
    invokes: tuple = ()
    times: int = 1

    def __post_init__(self):
        check_phase_name(self.name)
        object.__setattr__(self, "invokes", check_invokes(self.name, self.invokes))
        if not is_int(self.times) or self.times < 1:
            raise ConfigurationError(f"phase {self.name!r} times: expected an integer >= 1, got {self.times!r}")
        object.__setattr__(self, "times", int(self.times))


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
        check_component_name(self.component)
        for key, kind, example in (("phases", Phase, "Phase('residual')"),
                                   ("buffers", Buffer, "Buffer('delta', 8, lifetime=(('a', 'b'),))"),
                                   ("children", BufferSettings, "BufferSettings('newton', ...)")):
            object.__setattr__(self, key, check_members(self.component, key, getattr(self, key), kind, example))
        where = f"component {self.component!r}"
        if not self.phases:
            raise ConfigurationError(f"{where}: needs at least one phase")
        names = [p.name for p in self.phases]
        _unique(names, f"{where} phases")
        _unique([b.name for b in self.buffers], f"{where} buffers")
        _unique([c.component for c in self.children], f"{where} children")
        self._check_qualified_names()
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
                check_parent(b, own.get(b.view_of), f"{where} buffer {b.name!r}", "component")
                check_view(b, own[b.view_of], f"{where} buffer {b.name!r}")
                parent = own[b.view_of]
                if b.view_offset_elems + b.size_elems > parent.size_elems:
                    raise ConfigurationError(
                        f"{where} buffer {b.name!r}: view [{b.view_offset_elems}, "
                        f"{b.view_offset_elems + b.size_elems}) lies outside its parent {parent.name!r} of size "
                        f"{parent.size_elems}; lower view_offset_elems or the view's size")
                continue
            if b.persistent:
                continue
            if not b.has_phase_lifetime:
                raise ConfigurationError(f"{where} buffer {b.name!r}: lifetime must name phases, "
                                         f"like (PhaseSpan('{names[0]}', '{names[-1]}'),); got {b.lifetime!r}")
            for first, last in ((span.first, span.last) for span in b.lifetime):
                for p in (first, last):
                    if p not in names:
                        raise ConfigurationError(f"{where} buffer {b.name!r}: unknown phase {p!r}; phases are {names}")
                if names.index(last) < names.index(first):
                    raise ConfigurationError(f"{where} buffer {b.name!r}: lifetime ({first!r}, {last!r}) is reversed")

    def _check_qualified_names(self):
        """ConfigurationError when two buffers of the tree get one qualified name (a dotted buffer name,
        ``newton.delta``, beside child ``newton``'s ``delta``): they would be planned as one and share addresses."""
        owner = {}
        for prefix, b in self._declared(f"{self.component}."):
            name = prefix + b.name
            if name in owner:
                raise ConfigurationError(
                    f"buffer {name!r} is declared twice: as {owner[name][1]!r} in component {owner[name][0]!r} "
                    f"and as {b.name!r} in component {prefix[:-1]!r}; two buffers cannot share a qualified name "
                    "(they would be planned as one and share addresses); rename one")
            owner[name] = (prefix[:-1], b.name)

    def _declared(self, prefix):
        """(qualified prefix, buffer) for every buffer of the tree."""
        pairs = [(prefix, b) for b in self.buffers]
        for child in self.children:
            pairs += child._declared(f"{prefix}{child.component}.")
        return pairs

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

    def _collect(self, prefix, base, path, scale, out, repeats=(None,)):
        """Add this invocation's intervals at ``base`` to ``out``.

        ``out[qualified] = [buffer, {group: [intervals]}, weight]``; ``path`` is
        the invocation's start point and those of its ancestors' invocations
        (root first), ``scale`` how often it runs per step, ``repeats`` (aligned
        with ``path``) the range of the phase that made each invocation where that
        phase runs its children ``times > 1`` times, else None.  A buffer spanning
        ``k`` levels of invocations groups its intervals by its ancestor's
        invocation ``k`` levels up; every other buffer by its own invocation.  A
        repeated phase inside the levels it spans joins its group whole: the
        timeline embeds the repetitions once, so a value carried from one
        repetition to the next is alive over all of the phase.
        """
        starts = self._phase_starts(base)
        for b in self.buffers:
            name = f"{prefix}{b.name}"
            entry = out.setdefault(name, [b, {}, 0.0])
            entry[2] += b.weight * scale
            if not b.persistent and not b.is_view:
                if len(path) > 1:  # the root's own buffers may declare the levels they span once embedded
                    check_span_levels(name, b.spans_invocations, len(path))
                cut = max(1, len(path) - b.spans_invocations)
                spanned = [r for r in repeats[cut:] if r is not None] if b.spans_invocations else []
                entry[1].setdefault(path[:cut], []).extend(
                    [(starts[span.first][0], starts[span.last][1]) for span in b.lifetime] + spanned)
        kids = self._children()
        for phase in self.phases:
            t = starts[phase.name][0]
            repeated = starts[phase.name] if phase.times > 1 else None
            for name in phase.invokes:
                kids[name]._collect(f"{prefix}{name}.", t, path + (t,), scale * phase.times, out,
                                    repeats + (repeated,))
                t += kids[name].length

    def qualified_buffers(self):
        """The component tree's buffers with qualified names, integer lifetimes and per-step weights.

        A root component's buffer that declares ``spans_invocations`` keeps its own lifetime: the root is
        invoked once (a child component planned alone, as its tests do, is such a root).
        """
        out = {}
        self._collect(f"{self.component}.", 0, (0,), 1, out)
        result = []
        for name, (b, groups, weight) in out.items():
            view_of = None
            if b.is_view:
                view_of = name[: len(name) - len(b.name)] + b.view_of
            intervals = []
            for group in groups.values():
                if b.spans_invocations:
                    intervals.append((min(iv[0] for iv in group), max(iv[1] for iv in group)))
                else:
                    intervals.extend(group)
            result.append(b.renamed(name, tuple(intervals), view_of, weight))
        return tuple(result)

    def buffer_names(self, prefix=None):
        """Qualified names of every buffer of the tree (views included), in declaration order."""
        prefix = f"{self.component}." if prefix is None else prefix
        names = [prefix + b.name for b in self.buffers]
        for child in self.children:
            names += child.buffer_names(f"{prefix}{child.component}.")
        return names

    def with_locations(self, pins):
        """A copy of the tree with locations pinned by qualified name or pattern.

        Parameters
        ----------
        pins : mapping of str to Location or str
            Keys are qualified buffer names (``"loop.erk.stage_rhs"``) or
            shell-style patterns over them (``"loop.erk.*"``, ``"*"``); later
            keys win where several match.  Views follow their parent and are
            never pinned themselves.  A key that matches nothing is an error
            (a misspelt pin must not pass silently).
        """
        pins = {str(k): parse_enum(Location, v, f"pin {k!r}") for k, v in dict(pins).items()}
        names = [n for n in self.buffer_names()]
        parents = {b.name: b.view_of for b in self.qualified_buffers() if b.is_view}
        for key in pins:
            matched = [n for n in names if fnmatch.fnmatchcase(n, key)]
            if not matched:
                raise ConfigurationError(f"with_locations: {key!r} matches no buffer; buffers are {names}")
            if all(n in parents for n in matched):  # silently dropped until 2026-12-04 (a user's trial)
                owners = sorted({parents[n] for n in matched})
                raise ConfigurationError(
                    f"with_locations: {key!r} names only views ({', '.join(matched[:3])}"
                    f"{', ...' if len(matched) > 3 else ''}), which lie where their parent does and are never "
                    f"pinned themselves; pin the parent instead: {', '.join(repr(o) for o in owners[:3])}")
        return self._pinned(pins, f"{self.component}.")

    def _pinned(self, pins, prefix):
        def location(b):
            chosen = b.location
            for key, value in pins.items():
                if fnmatch.fnmatchcase(prefix + b.name, key):
                    chosen = value
            return chosen

        buffers = tuple(b if b.is_view else b.relocated(location(b)) for b in self.buffers)
        children = tuple(c._pinned(pins, f"{prefix}{c.component}.") for c in self.children)
        return replace(self, buffers=buffers, children=children)

    def to_problem(self, precision="float32", block_size=128, device="h100", objective="min-shared",
                   min_blocks_per_sm=1, **unknown):
        """The PlanningProblem of this component tree (this component is the root).

        A misspelt keyword (``blocksize=64``) is a ConfigurationError naming the keywords it takes.
        """
        check_keywords("to_problem", unknown, TO_PROBLEM_KEYWORDS)
        return PlanningProblem(buffers=self.qualified_buffers(), precision=precision, block_size=block_size,
                               device=device, objective=objective, min_blocks_per_sm=min_blocks_per_sm)

    def layout(self, plan, prefix=None):
        """The ComponentLayout of this component under ``plan``.

        The plan must have been solved for this tree: every buffer of the tree is in it with the
        declared size, view (parent and offset) and persistence, and, for the root (no ``prefix``),
        the plan has no other buffers and each lifetime is the tree's. Otherwise a ConfigurationError
        names the first buffer that differs; re-plan the tree (``solve(tree.to_problem(...))``).
        The root's plan is then verified (``Plan.verify``) against the tree's problem at the plan's
        precision and block size (:func:`planner.layout.verify_for_tree`): a plan edited by hand, or
        made for a tree with other pins or precisions, is refused.

        Raises
        ------
        ConfigurationError
            ``plan`` is not a Plan, or its buffers, sizes, views or lifetimes differ from the tree's.
        PlanError
            The plan breaks a rule of ``Plan.verify`` for this tree (``rule`` names it).
        """
        check_plan(plan)
        if prefix is None:
            check_plan_matches(self, plan)
            verify_for_tree(self, plan)
        return ComponentLayout(self, plan, f"{self.component}." if prefix is None else prefix)


TO_PROBLEM_KEYWORDS = ("precision", "block_size", "device", "objective", "min_blocks_per_sm")


def check_span_levels(name, levels, depth):
    """ConfigurationError when a buffer spans more invocation levels than it has.

    ``depth`` counts the invocations on its path, the root's included: a buffer ``d`` components below the root
    may span up to ``d + 1`` (the last spans the root's single invocation too).  The root's own buffers are not
    checked: a child component planned alone (as its tests do, or a kernel's Newton solver's LU, which spans 2)
    declares the levels it spans once embedded (a regression hunt).
    """
    if levels > depth:
        raise ConfigurationError(
            f"buffer {name!r} spans_invocations: expected at most {depth} here (the components above it, "
            f"{depth - 1}, and the root's own invocation), got {levels}; lower it to the number of levels "
            "whose invocations the buffer must survive")


def _unique(names, what):
    seen = set()
    for n in names:
        if n in seen:
            raise ConfigurationError(f"{what}: duplicate name {n!r}")
        seen.add(n)
