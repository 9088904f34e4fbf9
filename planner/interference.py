"""The interference graph over lifetimes and the live-size lower bound."""


def interference_graph(problem, names=None):
    """networkx Graph: a node per planned buffer, an edge where lifetimes intersect.

    Nodes carry ``size`` (elements) and ``lifetime``. ``names`` restricts the
    graph to a subset (for example the buffers placed in shared memory).
    """
    import networkx as nx  # imported here: it is most of the CLI's start-up time

    graph = nx.Graph()
    chosen = [b for b in problem.planned if names is None or b.name in names]
    intervals = []
    for b in chosen:
        lifetime = problem.lifetime_of(b)
        graph.add_node(b.name, size=b.size_elems, lifetime=lifetime)
        intervals.extend((start, end, b.name) for start, end in lifetime)
    intervals.sort()
    active = []
    for start, end, name in intervals:
        active = [(e, n) for e, n in active if e > start]
        for _, other in active:
            if other != name:
                graph.add_edge(name, other)
        active.append((end, name))
    return graph


def live_peak(problem, names):
    """Max over program points of the elements alive among ``names``.

    With every buffer of ``names`` in shared memory no layout can use less: the
    proven lower bound every planner's peak is measured against.
    """
    planned = {b.name: b for b in problem.planned}
    return live_size(planned, _lifetimes(problem), [n for n in dict.fromkeys(names) if n in planned])


def alive_together(problem, names):
    """True when one program point has every buffer of ``names`` alive: their interference graph is complete.

    A sweep over the interval ends, O(n log n), where the graph holds n^2 pairs (5000 buffers alive
    together: 25 million, seconds and gigabytes to build). Every lowest-fit layout of such a set is a
    stack, and its peak is the set's live size, so the layouts need no graph (selection, greedy, cpsat).
    """
    lifetimes = _lifetimes(problem)
    spans = [lifetimes[n] for n in names]
    if len(spans) < 2:
        return True
    if max(lt[0][0] for lt in spans) >= min(lt[-1][1] for lt in spans):
        return False  # no point lies after every first start and before every last end
    events = sorted((t, starts) for lt in spans for lo, hi in lt for t, starts in ((lo, 1), (hi, 0)))
    alive = 0
    for _, starts in events:  # ends sort before starts at one point: lifetimes are half-open
        alive += 1 if starts else -1
        if alive == len(spans):  # one buffer's intervals are disjoint: each counts once
            return True
    return False


def live_size(sizes, lifetimes, names):
    """The largest total size alive at one program point among ``names``, from ``sizes`` (name -> Buffer) and
    ``lifetimes`` (name -> intervals) the caller has at hand: :func:`live_peak` reads them from the problem."""
    # ends sort before starts at the same point: intervals are half-open
    events = sorted((t, end, sizes[n].size_elems) for n in names for lo, hi in lifetimes[n]
                    for t, end in ((lo, 1), (hi, 0)))
    live = peak = 0
    for _, starts, size in events:
        live += size if starts else -size
        peak = max(peak, live)
    return peak


def components(problem, names):
    """The connected components of the interference graph of ``names`` (lists of names in their order),
    largest first, and its degree function (name -> neighbours): one component whose buffers have n - 1
    neighbours each where all are alive at one point, without building that graph's n^2 pairs."""
    if alive_together(problem, names):
        return ([list(names)] if names else []), (lambda name: len(names) - 1)
    graph = Interference(problem, names)
    return sorted(graph.components(), key=lambda c: (-len(c), c)), graph.degree


class Interference:
    """The interference graph as adjacency lists, built by a sort over time (no networkx).

    For large problems: the pairs of intersecting intervals are generated with
    NumPy, deduplicated, and kept as one Python list of neighbour indices per
    buffer. Memory and time grow with the number of interfering pairs.

    Parameters
    ----------
    problem : PlanningProblem
    names : iterable of str
        The buffers to include (planned buffers of ``problem``), in the order
        their indices take.

    Attributes
    ----------
    names : list of str
    index : dict
        Name -> index into ``names``.
    neighbors : list of list of int
        Indices of the buffers each buffer interferes with (each once).
    """

    def __init__(self, problem, names):
        import numpy as np

        lifetimes = _lifetimes(problem)
        self.names = list(names)
        self.index = {n: i for i, n in enumerate(self.names)}
        owner, starts, ends = [], [], []
        for i, n in enumerate(self.names):
            for lo, hi in lifetimes[n]:
                owner.append(i)
                starts.append(lo)
                ends.append(hi)
        owner, starts, ends = (np.asarray(a, dtype=np.int64) for a in (owner, starts, ends))
        order = np.argsort(starts, kind="stable")
        owner, starts, ends = owner[order], starts[order], ends[order]
        # Interval k intersects the later-starting intervals k+1 .. stop[k]-1 (half-open: start < end).
        stop = np.searchsorted(starts, ends, side="left")
        count = np.maximum(stop - np.arange(len(starts)) - 1, 0)
        first = np.repeat(np.arange(len(starts)), count)
        offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        a, b = owner[first], owner[first + 1 + offset]
        keep = a != b
        a, b = np.concatenate((a[keep], b[keep])), np.concatenate((b[keep], a[keep]))
        n = len(self.names)
        if len(owner) > n:  # a buffer of several intervals may meet another twice: one row per pair
            pairs = np.sort(a * n + b)
            pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))] if len(pairs) else pairs
            a, b = pairs // n, pairs % n
        else:
            order = np.argsort(a, kind="stable")
            a, b = a[order], b[order]
        bounds = np.searchsorted(a, np.arange(n + 1)).tolist()
        flat = b.tolist()
        self.neighbors = [flat[bounds[i]:bounds[i + 1]] for i in range(n)]

    def degree(self, name):
        """Number of buffers ``name`` interferes with."""
        return len(self.neighbors[self.index[name]])

    def components(self):
        """Connected components as lists of names, in index order within each."""
        seen = [False] * len(self.names)
        parts = []
        for root in range(len(self.names)):
            if seen[root]:
                continue
            seen[root], stack, part = True, [root], []
            while stack:
                i = stack.pop()
                part.append(i)
                for j in self.neighbors[i]:
                    if not seen[j]:
                        seen[j] = True
                        stack.append(j)
            parts.append([self.names[i] for i in sorted(part)])
        return parts


class SubGraph:
    """The interference graph of a growing subset of a larger Interference, without rebuilding it.

    ``names``, ``index`` and ``neighbors`` read as an Interference over exactly the
    names pushed so far; ``push`` adds one (O(its degree)), ``pop`` takes the last back.
    """

    def __init__(self, full, names=()):
        self.full, self.names, self.index, self.neighbors = full, [], {}, []
        self._sub = [-1] * len(full.names)  # index in the full graph -> index here, -1 when absent
        for name in names:
            self.push(name)

    def push(self, name):
        i, k = len(self.names), self.full.index[name]
        mine = [self._sub[j] for j in self.full.neighbors[k] if self._sub[j] >= 0]
        for j in mine:
            self.neighbors[j].append(i)
        self.names.append(name)
        self.index[name] = i
        self.neighbors.append(mine)
        self._sub[k] = i

    def pop(self):
        name = self.names.pop()
        for j in self.neighbors.pop():
            self.neighbors[j].pop()  # the last one appended: the popped buffer
        del self.index[name]
        self._sub[self.full.index[name]] = -1


def _lifetimes(problem):
    """Name -> lifetime of every planned buffer, persistent ones over the whole timeline (one pass)."""
    planned = problem.planned
    horizon = None
    out = {}
    for b in planned:
        if b.persistent:
            if horizon is None:
                horizon = problem.horizon
            out[b.name] = ((0, horizon),)
        else:
            out[b.name] = b.lifetime
    return out
