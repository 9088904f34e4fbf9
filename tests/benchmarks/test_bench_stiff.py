"""benchmarks.stiff_peers and benchmarks.robertson_sweep at simulator sizes: every configuration is recorded."""

import json

import pytest

import kernels

from benchmarks import robertson_sweep, stiff_peers, stiff_worker


@pytest.fixture(scope="module")
def peers_doc(tmp_path_factory):
    out = tmp_path_factory.mktemp("stiff")
    argv = ["--sim", "--methods", "sdirk4", "--precisions", "float64", "--jobs", "1",
            "--impls", "bufferplan-lu,bufferplan-gmres,cubie-lu", "--out", str(out)]
    assert stiff_peers.main(argv) == 0
    (path,) = out.glob("stiff_peers_*.json")
    return json.loads(path.read_text())


def test_stiff_peers_records_each_configuration(peers_doc):
    assert peers_doc["finished"] is True and peers_doc["schema"] == stiff_peers.SCHEMA
    rows = {r["impl_name"]: r for r in peers_doc["results"]}
    assert set(rows) == {"bufferplan-lu", "bufferplan-gmres", "cubie-lu"}
    lu = rows["bufferplan-lu"]
    assert lu["ok"], lu
    assert lu["compile_s"] > 0 and lu["kernel"]["median_ms"] > 0 and lu["success_fraction"] == 1.0
    assert lu["steps"]["max"] == lu["nominal_steps"] == 2
    assert lu["plan"]["shared_bytes_per_block"] >= 0
    if lu["run_method"] != "sdirk4":  # the simulator fallback says so
        assert "fallback" in lu["note"]
    cubie = rows["cubie-lu"]  # ran where cubie is importable, otherwise recorded as unavailable
    assert cubie["ok"] or "Cubie" in cubie["error"]


def test_stiff_peers_agreement_with_scipy(peers_doc):
    agree = [a for a in peers_doc["agreement"] if a["impl"] == "bufferplan-lu@local"]
    assert agree and agree[0]["nonfinite"] == 0
    assert agree[0]["max_rel_err_vs_scipy"] < 1e-8  # two steps of dt = 1e-3 of a fourth-order method


def test_a_row_whose_trajectories_failed_says_its_time_is_not_comparable(peers_doc, capsys):
    """A kernel whose trajectories stop at once times fast: the table says so in the row's note."""
    doc = json.loads(json.dumps(peers_doc))
    lu = next(r for r in doc["results"] if r["impl_name"] == "bufferplan-lu")
    stiff_peers.table(doc)
    assert "NOT COMPARABLE" not in capsys.readouterr().out.upper()
    lu["success_fraction"] = 0.25
    stiff_peers.table(doc)
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(lu["id"]))
    assert "ONLY 25.0 % OF TRAJECTORIES SUCCEEDED" in line and "not comparable" in line


def test_unknown_implementation_is_an_argument_error(capsys):
    with pytest.raises(SystemExit):
        stiff_peers.parse_args(["--impls", "bufferplan-lu,teleport"])
    assert "unknown ['teleport']" in capsys.readouterr().err


@pytest.mark.parametrize("impl, method, storage", [
    ("bufferplan-lu", "rodas4", "memory if shared"), ("bufferplan-lumem", "rodas4", "memory"),
    ("bufferplan-lu", "radau", "memory"), ("bufferplan-lureg", "radau", "memory if shared")])
def test_factor_storage_variants_build_their_factors_as_named(impl, method, storage):
    """The family's rule (rodas4: registers, radau: memory, at 32 states) or the variant's forced storage."""
    cfg = {"impl_name": impl, "n": 32, "precision": "float32", "run_method": method,
           "solver": stiff_peers.SOLVER_OF[impl]}

    def walk(settings):
        yield from settings.buffers
        for child in settings.children:
            yield from walk(child)

    factors = [b.storage for b in walk(stiff_worker.make_integrator(cfg).buffer_settings()) if b.name == "factor"]
    assert factors and set(factors) == {storage}


@pytest.mark.parametrize("kappa", [None, 0.3])
def test_kappa_reaches_bufferplans_newton(kappa):
    """``--kappa`` goes into every bufferplan configuration and from there into its SolverOptions."""
    args = ["--sizes", "8", "--precisions", "float32", "--methods", "sdirk4", "--impls", "bufferplan-lumem"]
    (cfg,) = stiff_peers.configurations(stiff_peers.parse_args(args + (["--kappa", str(kappa)] if kappa else [])))
    solver = stiff_worker.make_integrator(cfg).solver
    assert solver.kappa == (kappa or kernels.SolverOptions().kappa) and solver.factor_storage == "memory"


def test_robertson_sweep(tmp_path):
    assert robertson_sweep.main(["--sim", "--methods", "rodas5p", "--out", str(tmp_path)]) == 0
    (path,) = tmp_path.glob("robertson_sweep_*.json")
    doc = json.loads(path.read_text())
    (row,) = doc["results"]
    assert doc["finished"] and row["ok"], row
    assert row["success_fraction"] == 1.0 and row["accepted"]["mean"] > 0
    assert row["vs_scipy"]["max_err_in_tolerances"] < 10.0


def test_the_symbolic_brusselator_is_the_same_model():
    """``bufferplan-lusym`` integrates the Brusselator from SymPy equations: same rhs and Jacobian as the
    hand-written one (the states in the same order), so the two impls time the same problem."""
    import numpy as np

    n = 6
    cfg = {"impl_name": "bufferplan-lusym", "n": n, "precision": "float64", "run_method": "rodas4", "solver": "lu"}
    sym = stiff_worker.make_integrator(cfg).system
    ref = kernels.brusselator(n)
    rng = np.random.default_rng(3)
    y, p = rng.uniform(0.5, 2.0, n), np.array([1.0, 3.0, 0.02])
    for f in ("rhs", "jac"):
        size = n if f == "rhs" else n * n
        a, b = np.zeros(size), np.zeros(size)
        for system, out in ((sym, a), (ref, b)):
            func = getattr(system, f)
            getattr(func, "py_func", func)(0.0, y, p, out)
        assert np.allclose(a, b, rtol=1e-13, atol=1e-13), f
