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
    events = []
    wanted = set(names)
    for b in problem.planned:
        if b.name in wanted and b.size_elems:
            for start, end in problem.lifetime_of(b):
                events.append((start, 1, b.size_elems))
                events.append((end, 0, -b.size_elems))
    # Ends sort before starts at the same point: intervals are half-open.
    events.sort()
    live = peak = 0
    for _, _, delta in events:
        live += delta
        peak = max(peak, live)
    return peak

