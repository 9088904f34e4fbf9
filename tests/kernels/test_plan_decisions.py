"""``plan="auto"``'s decision kept in the compile cache: a repeated run in a new process skips the compiler's rounds.

The offline cases run two scripts one after the other on Numba's CUDA target (``NUMBA_ENABLE_CUDASIM=0``, no
driver needed; ``ptxas -v`` counts), sharing one cache folder: the first plans RK4 on Lorenz ``auto`` (and once
with ``compile_cache=None``), the second, a new process, plans it again and then with one input changed at a
time.  Lorenz's right-hand side is written in the scripts and left unchecked (``check=False``: no CPU compile).
"""

import json
import os

import numpy as np
import pytest
from kernel_helpers import run_on_cuda_target

import kernels
from kernels.compiler_loop import SIMULATOR_NOTE
from kernels.plan_decisions import HIT_NOTE, PlanDecisions, identity, library_digest
from kernels.resources import ptxas_path

_COMMON = """
import json, os, sys
import numpy as np
import kernels
import planner


def kinds(cache):
    found = {}
    for path, _, _ in cache.entries():
        kind = os.path.basename(path).split("-")[0]
        found[kind] = found.get(kind, 0) + 1
    return found


def auto(cache, integ, block_size=128):
    before = dict(cache.stats)
    plan = integ.plan("auto", block_size=block_size, device="h200")
    return {"note": plan.cost.note, "digest": plan.digest, "rounds": len(plan.cost.rounds),
            "placements": [[b.name, b.placement.value, b.offset_elems] for b in plan.buffers],
            "stats": {k: v - before[k] for k, v in cache.stats.items() if v != before[k]}, "entries": kinds(cache),
            "plan_files": sorted(os.path.basename(p) for p, _, _ in cache.entries() if "plan-" in p)}


def lorenz_rhs(t, y, p, dydt):
    dydt[0] = p[0] * (y[1] - y[0])
    dydt[1] = y[0] * (p[1] - y[2]) - y[1]
    dydt[2] = y[0] * y[1] - p[2] * y[2]


def open_cache(folder, code="a" * 64):
    # a library digest of the test's own: an edit of kernels/ between the two processes is a miss (by design), and
    # would fail the test (its real value: test_each_owner_keeps_its_own_code_digest)
    from kernels.plan_decisions import PlanDecisions

    cache = kernels.CompileCache(folder)
    cache.decisions = PlanDecisions(cache, code_digest=code)
    return cache


def rk4(system, cache, **options):
    return kernels.Integrator(system, "rk4", controller="fixed", precision=np.float32, compile_cache=cache, **options)
"""

_FIRST = _COMMON + """
folder, home = sys.argv[1], sys.argv[2]
os.environ["XDG_CACHE_HOME"] = home  # where a default cache would go: compile_cache=None must write nothing there
os.environ.pop("BUFFERPLAN_COMPILE_CACHE", None)
cache, system = open_cache(folder), kernels.ODESystem(lorenz_rhs, 3, 3, name="lorenz", check=False)
first = auto(cache, rk4(system, cache))
off_plan = rk4(system, None).plan("auto", block_size=128, device="h200")
off = {"note": off_plan.cost.note, "entries": kinds(cache), "home": os.listdir(home)}
print(json.dumps({"first": first, "off": off}))
"""

_AGAIN = _COMMON + """
from kernels.plan_decisions import PlanDecisions

folder = sys.argv[1]
cache, system = open_cache(folder), kernels.ODESystem(lorenz_rhs, 3, 3, name="lorenz", check=False)
before = kinds(cache)
integ = rk4(system, cache)
rows = {"repeat": auto(cache, integ)}
rows["repeat"]["entries_before"] = before
rows["block_size"] = auto(cache, integ, block_size=64)


def flipped(t, y, p, dydt):  # Lorenz's buffers, another right-hand side (one sign)
    dydt[0] = p[0] * (y[0] - y[1])
    dydt[1] = y[0] * (p[1] - y[2]) - y[1]
    dydt[2] = y[0] * y[1] - p[2] * y[2]


rows["system"] = auto(cache, rk4(kernels.ODESystem(flipped, 3, 3, name="lorenz", check=False), cache))
rows["registers"] = auto(cache, rk4(system, cache, max_registers=64))
cache.decisions = PlanDecisions(cache, code_digest="0" * 64)  # the library's code changed
rows["code"] = auto(cache, rk4(system, cache))
cache.decisions = PlanDecisions(cache, code_digest="a" * 64)
for name in rows["repeat"]["plan_files"]:  # the first run's decision, the only one then
    with open(os.path.join(folder, name), "rb") as fh:
        blob = fh.read()
    with open(os.path.join(folder, name), "wb") as fh:
        fh.write(blob[:len(blob) // 2])
rows["corrupt"] = auto(cache, rk4(system, cache))
rows["rewritten"] = auto(cache, rk4(system, cache))
print(json.dumps(rows))
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The first process's rows, then the second's (one cache folder)."""
    if ptxas_path() is None:
        pytest.skip("needs ptxas (pip install 'bufferplan[compile]')")
    folder, home = tmp_path_factory.mktemp("decisions"), tmp_path_factory.mktemp("home")
    first = run_on_cuda_target(_FIRST, str(folder), str(home))
    return first, run_on_cuda_target(_AGAIN, str(folder))


def test_a_first_auto_plan_stores_its_decision(runs):
    first = runs[0]["first"]
    assert HIT_NOTE not in first["note"] and first["rounds"] >= 1
    assert first["stats"]["plan_misses"] == 1 and first["entries"]["plan"] == 1, first


def test_a_new_process_reuses_the_decision_and_compiles_nothing(runs):
    first, repeat = runs[0]["first"], runs[1]["repeat"]
    assert repeat["digest"] == first["digest"] and repeat["placements"] == first["placements"]
    assert repeat["note"] == f"{first['note']}; {HIT_NOTE}"
    assert repeat["rounds"] == first["rounds"]  # the rounds recorded in the first run
    # no NVVM, ptxas or cubin lookup: no kernel was lowered or compiled, and nothing was written
    assert repeat["stats"] == {"plan_hits": 1}, repeat["stats"]
    assert repeat["entries"] == repeat["entries_before"]


@pytest.mark.parametrize("change", ["block_size", "system", "registers", "code"])
def test_another_input_is_a_miss(runs, change):
    """Another block size, another system with Lorenz's buffer sizes, another register cap, or a changed library
    digest: planned again (the compiler's rounds) and kept under a key of its own."""
    row = runs[1][change]
    assert HIT_NOTE not in row["note"]
    assert row["stats"]["plan_misses"] == 1 and "plan_hits" not in row["stats"], row["stats"]
    assert row["stats"].get("ptx_hits", 0) + row["stats"].get("ptx_misses", 0) >= 1  # compiled
    assert len(row["plan_files"]) > len(runs[1]["repeat"]["plan_files"])


def test_a_corrupt_entry_is_a_miss_and_is_rewritten(runs):
    corrupt, rewritten = runs[1]["corrupt"], runs[1]["rewritten"]
    assert HIT_NOTE not in corrupt["note"]
    assert corrupt["stats"]["plan_misses"] == 1 and corrupt["stats"]["errors"] == 1, corrupt["stats"]
    assert corrupt["plan_files"] == runs[1]["code"]["plan_files"]  # written again under its own name
    assert rewritten["note"].endswith(HIT_NOTE) and rewritten["stats"] == {"plan_hits": 1}
    assert rewritten["digest"] == runs[0]["first"]["digest"]


def test_no_compile_cache_keeps_no_decision(runs):
    first, off = runs[0]["first"], runs[0]["off"]
    assert HIT_NOTE not in off["note"] and off["note"] == first["note"]
    assert off["entries"] == first["entries"] and off["home"] == []


def test_the_simulator_keeps_no_decision(tmp_path):
    if kernels.backend() == "cuda":
        pytest.skip("the simulator's case")
    cache = kernels.CompileCache(tmp_path)
    integ = kernels.Integrator(kernels.lorenz(), "rk4", controller="fixed", compile_cache=cache)
    assert integ.plan("auto", block_size=1).cost.note == SIMULATOR_NOTE
    assert cache.entries() == [] and cache.stats["plan_misses"] == cache.stats["plan_hits"] == 0


def _chain(n, scale):
    def rhs(t, y, p, dydt):
        for i in range(n):
            dydt[i] = -scale * y[i]
    return rhs


K = 2.0


def _reads_k(t, y, p, dydt):
    dydt[0] = -K * y[0]


def _calls_reads_k(t, y, p, dydt):
    _reads_k(t, y, p, dydt)


def test_a_function_is_identified_by_its_code_and_what_it_reads(monkeypatch):
    assert identity(_chain(3, 1.0)) == identity(_chain(3, 1.0))  # two closures alike
    assert identity(_chain(3, 1.0)) != identity(_chain(4, 1.0))  # the same code reading another size
    assert identity(_chain(3, 1.0)) != identity(_chain(3, np.float32(1.0)))  # another type: typed otherwise
    before, called = identity(_reads_k), identity(_calls_reads_k)
    monkeypatch.setitem(globals(), "K", 3.0)
    assert identity(_reads_k) != before and identity(_calls_reads_k) != called  # a global, read directly or not


class _Opaque:
    pass


def test_a_function_reading_an_unknown_object_keeps_no_decision(tmp_path):
    thing = _Opaque()

    def rhs(t, y, p, dydt):
        dydt[0] = thing

    with pytest.raises(kernels.ConfigurationError):
        identity(rhs)
    system = kernels.ODESystem(rhs, 1, check=False)
    decisions = PlanDecisions(kernels.CompileCache(tmp_path), code_digest="test")
    assert decisions.key(kernels.Integrator(system, "rk4", controller="fixed"), None, None) is None


def test_each_owner_keeps_its_own_code_digest(tmp_path):
    injected = PlanDecisions(kernels.CompileCache(tmp_path / "a"), code_digest="1" * 64)
    computed = kernels.CompileCache(tmp_path / "b").decisions
    assert injected.code_digest == "1" * 64 and computed.code_digest == library_digest() != injected.code_digest
    assert os.listdir(tmp_path) == []  # nothing written by either


def test_decisions_are_entries_the_cache_counts_and_clears(tmp_path):
    """Kind ``plan`` is one of the cache's: listed, sized and cleared with the others; a stored entry its reader
    refuses (``accept`` returns None or raises) counts as an error and a miss, never a hit, and is removed."""
    cache, key = kernels.CompileCache(tmp_path), "ab" * 32
    cache.store("plan", key, b"{}")
    assert [os.path.basename(p) for p, _, _ in cache.entries()] == [f"plan-{key}.bin"] and cache.size_bytes() > 2
    assert cache.load("plan", key) == b"{}" and cache.stats["plan_hits"] == 1
    assert cache.load("plan", key, lambda payload: None) is None
    assert (cache.stats["plan_hits"], cache.stats["plan_misses"], cache.stats["errors"]) == (1, 1, 1)
    assert cache.entries() == []
    cache.store("plan", key, b"{}")
    assert cache.load("plan", key, lambda payload: json.loads(payload.decode())["missing"]) is None  # KeyError
    assert (cache.stats["plan_hits"], cache.stats["plan_misses"], cache.stats["errors"]) == (1, 2, 2)
    assert cache.entries() == []
    cache.store("plan", key, b"{}")
    cache.clear()
    assert cache.entries() == []
