"""Address overlap of planned buffers: the verifier's no-overlap rule, by sweeps in O(n log n)."""

from bisect import bisect_left, bisect_right, insort

from .errors import PlanError


def _overlap(a, b):
    return PlanError("no-overlap", f"{a.name} [{a.offset_elems}, {a.offset_elems + a.size_elems}) "
                     f"and {b.name} [{b.offset_elems}, {b.offset_elems + b.size_elems}) "
                     "overlap in address while both alive")


def check_disjoint(group):
    """PlanError unless the address ranges of ``group`` (sizes > 0) are pairwise disjoint."""
    widest = None
    for p in sorted(group, key=lambda p: (p.offset_elems, p.size_elems, p.name)):
        if widest is not None and p.offset_elems < widest.offset_elems + widest.size_elems:
            raise _overlap(widest, p)
        if widest is None or p.offset_elems + p.size_elems > widest.offset_elems + widest.size_elems:
            widest = p


def check_disjoint_in_time(group):
    """PlanError unless no two of ``group`` (sizes > 0) overlap in address at a program point both are alive.

    A sweep over the interval ends in time order (ends before starts at one
    point: lifetimes are half-open). The buffers alive are kept disjoint and
    ordered by offset, so a newcomer need only be checked against its
    neighbours below and above in address.
    """
    events = []
    for k, p in enumerate(group):
        for lo, hi in p.lifetime:
            events.append((lo, 1, k))
            events.append((hi, 0, k))
    events.sort()
    alive = _AddressOrder()
    for _, starts, k in events:
        p = group[k]
        if not starts:
            alive.remove(p.offset_elems)
            continue
        below, above = alive.neighbours(p.offset_elems)
        if below is not None and group[below].offset_elems + group[below].size_elems > p.offset_elems:
            raise _overlap(group[below], p)
        if above is not None and group[above].offset_elems < p.offset_elems + p.size_elems:
            raise _overlap(p, group[above])
        alive.add(p.offset_elems, k)


class _AddressOrder:
    """Distinct offsets in ascending order with a value each: blocks of at most 2 * BLOCK sorted lists.

    Add, remove and the neighbour query cost O(log n) comparisons plus a move
    of at most 2 * BLOCK pointers (and n / BLOCK on a split or an emptied block).
    """

    BLOCK = 512

    def __init__(self):
        self.blocks, self.firsts, self.value = [], [], {}

    def _block(self, key):
        return max(bisect_right(self.firsts, key) - 1, 0)

    def add(self, key, value):
        self.value[key] = value
        if not self.blocks:
            self.blocks.append([key])
            self.firsts.append(key)
            return
        b = self._block(key)
        block = self.blocks[b]
        insort(block, key)
        self.firsts[b] = block[0]
        if len(block) > 2 * self.BLOCK:
            self.blocks[b:b + 1] = [block[:self.BLOCK], block[self.BLOCK:]]
            self.firsts[b:b + 1] = [block[0], block[self.BLOCK]]

    def remove(self, key):
        del self.value[key]
        b = self._block(key)
        block = self.blocks[b]
        del block[bisect_left(block, key)]
        if block:
            self.firsts[b] = block[0]
        else:
            del self.blocks[b], self.firsts[b]

    def neighbours(self, key):
        """Values of the largest offset below ``key`` and the smallest at or above it (None if none)."""
        if not self.blocks:
            return None, None
        b = self._block(key)
        block = self.blocks[b]
        i = bisect_left(block, key)
        below = block[i - 1] if i else (self.blocks[b - 1][-1] if b else None)
        above = block[i] if i < len(block) else (self.blocks[b + 1][0] if b + 1 < len(self.blocks) else None)
        return (None if below is None else self.value[below]), (None if above is None else self.value[above])
