"""benchmarks.peers at its smallest on the simulator: the JSON document, the agreement checks, the floor peer."""

import json
import subprocess
import sys

import pytest

from benchmarks import peers
from benchmarks.environment import ROOT

# A stand-in for an outside floor file (lorenz_handwritten.py's interface): classical RK4, rho per
# trajectory, sigma, beta and u0 compiled in, output (3, N).  It defines no Tsit5 kernel.
FLOOR = '''
from numba import cuda, float32

@cuda.jit
def rk4_fixed(ps, out, dt, nsteps, n):
    i = cuda.grid(1)
    if i >= n:
        return
    r = ps[i]
    x, y, z = float32(1.0), float32(0.0), float32(0.0)
    for _ in range(nsteps):
        k1x, k1y, k1z = 10 * (y - x), x * (r - z) - y, x * y - float32(8 / 3) * z
        ax, ay, az = x + dt / 2 * k1x, y + dt / 2 * k1y, z + dt / 2 * k1z
        k2x, k2y, k2z = 10 * (ay - ax), ax * (r - az) - ay, ax * ay - float32(8 / 3) * az
        ax, ay, az = x + dt / 2 * k2x, y + dt / 2 * k2y, z + dt / 2 * k2z
        k3x, k3y, k3z = 10 * (ay - ax), ax * (r - az) - ay, ax * ay - float32(8 / 3) * az
        ax, ay, az = x + dt * k3x, y + dt * k3y, z + dt * k3z
        k4x, k4y, k4z = 10 * (ay - ax), ax * (r - az) - ay, ax * ay - float32(8 / 3) * az
        x = x + dt / 6 * (k1x + 2 * k2x + 2 * k3x + k4x)
        y = y + dt / 6 * (k1y + 2 * k2y + 2 * k3y + k4y)
        z = z + dt / 6 * (k1z + 2 * k2z + 2 * k3z + k4z)
    out[0, i] = x
    out[1, i] = y
    out[2, i] = z
'''


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    out = tmp_path_factory.mktemp("peers")
    floor = out / "floor_kernels.py"
    floor.write_text(FLOOR)
    argv = ["--peers", "reference,bufferplan-auto,bufferplan-local", "--cases", "b,c", "--sizes", "4",
            "--t1", "0.01", "--repeats", "2", "--wall-repeats", "1", "--floor", str(floor), "--out", str(out)]
    assert peers.main(argv) == 0
    (path,) = out.glob("peers_*.json")
    return json.loads(path.read_text())


def test_document_records_where_and_how(document):
    for key in ("schema", "date_utc", "command", "device", "versions", "git", "settings", "cases", "results"):
        assert key in document
    assert document["finished"] is True and document["schema"] == peers.SCHEMA
    assert document["settings"]["floor"].endswith("floor_kernels.py")
    assert set(document["results"]) == {"tsit5_adaptive", "rk4_fixed"}


@pytest.mark.parametrize("case", ["tsit5_adaptive", "rk4_fixed"])
@pytest.mark.parametrize("peer", ["bufferplan-auto", "bufferplan-local"])
def test_bufferplan_agrees_with_the_reference_and_scipy(document, case, peer):
    entry = document["results"][case][peer]
    assert entry["status"] == "ok", entry
    (m,) = entry["measurements"]
    assert m["n"] == 16 and m["kernel_ms_median"] > 0 and m["wall_ms_median"] > 0
    assert "BatchKernel.launch" in m["kernel_timing"]
    assert m["agrees_with_reference"] is True and m["scaled_dev_vs_reference"] < 1e-6
    assert m["scaled_err_vs_scipy"] < 1e-5 and m["nonfinite"] == 0
    assert m["status_counts"] == {"0": 16}
    if case == "rk4_fixed":
        assert m["steps_match"] is True and m["steps_expected"] == 10


def test_floor_runs_by_path_where_it_has_the_kernel(document):
    floor = document["results"]["rk4_fixed"]["floor"]
    assert floor["status"] == "ok", floor
    (m,) = floor["measurements"]
    assert m["agrees_with_reference"] is True and m["steps_match"] is True
    ours = document["results"]["rk4_fixed"]["bufferplan-local"]["measurements"][0]
    assert ours["agrees_with_floor"] is True
    missing = document["results"]["tsit5_adaptive"]["floor"]["status"]
    assert missing.startswith("unavailable") and "tsit5_adaptive" in missing


def test_table_names_the_ratios(document, capsys):
    peers.table(document)
    text = capsys.readouterr().out
    assert "bufferplan-auto / reference kernel time at N=2^4" in text
    assert "float32, Lorenz, rho = linspace(0, 21, N), t in [0, 0.01])" in text  # the heading before --problem
    assert "bufferplan-local / floor kernel time at N=2^4" in text
    assert "DISAGREES" not in text


def test_running_the_file_says_how_to_run_the_module():
    done = subprocess.run([sys.executable, "benchmarks/peers.py"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0 and "python -m benchmarks.peers" in done.stderr


def test_unknown_peer_is_an_argument_error(capsys):
    with pytest.raises(SystemExit):
        peers.parse_args(["--peers", "nobody"])
    assert "--peers: unknown ['nobody']" in capsys.readouterr().err


# -- --problem lorenz96: the 16-state Lorenz-96 of floor_problems, F per trajectory ---------------------------
@pytest.fixture(scope="module")
def document96(tmp_path_factory):
    out = tmp_path_factory.mktemp("peers96")
    argv = ["--problem", "lorenz96", "--peers", "reference,bufferplan-local,floor", "--cases", "c,a,b", "--sizes", "3",
            "--t1", "0.005", "--repeats", "1", "--wall-repeats", "1", "--out", str(out)]
    assert peers.main(argv) == 0
    (path,) = out.glob("peers_*.json")
    assert path.name.endswith("_lorenz96.json")
    return json.loads(path.read_text())


def test_lorenz96_document_records_the_problem(document96):
    problem = document96["settings"]["problem"]
    assert problem["system"] == "lorenz96" and problem["n_states"] == 16 and problem["params"] == ["F", "d"]
    assert problem["F"] == "linspace(4, 12, N)" and "F = linspace(4, 12, N)" in problem["varying_parameter"]
    assert set(document96["results"]) == {"rk4_fixed", "tsit5_fixed", "tsit5_adaptive"}


@pytest.mark.parametrize("case", ["rk4_fixed", "tsit5_fixed", "tsit5_adaptive"])
def test_lorenz96_bufferplan_agrees_with_the_hand_written_kernel(document96, case):
    results = document96["results"][case]
    ref = results["reference"]
    assert ref["status"] == "ok", ref
    assert any("handwritten_systems" in note for note in ref["notes"])
    (r,) = ref["measurements"]
    assert r["n"] == 8 and r["nonfinite"] == 0 and r["scaled_err_vs_scipy"] < 1e-5
    ours = results["bufferplan-local"]
    assert ours["status"] == "ok", ours
    assert any("lorenz96" in note and "F = linspace" in note for note in ours["notes"])
    (m,) = ours["measurements"]
    assert m["agrees_with_reference"] is True and m["scaled_dev_vs_reference"] < 1e-6
    assert m["scaled_err_vs_scipy"] < 1e-5 and m["status_counts"] == {"0": 8}
    if case == "tsit5_adaptive":
        assert r["status_counts"] == {"0": 8} and r["n_steps_max"] > 0
    else:
        assert r["steps_match"] is True and r["steps_expected"] == 5 and m["steps_match"] is True
    floor = results["floor"]["status"]
    assert floor.startswith("unavailable") and "Lorenz-only" in floor


def test_lorenz96_table_names_the_problem(document96, capsys):
    peers.table(document96)
    text = capsys.readouterr().out
    assert "Lorenz-96 (16 states)" in text and "bufferplan-local / reference kernel time at N=2^3" in text
    assert "DISAGREES" not in text


def test_lorenz96_missing_frameworks_are_recorded_unavailable(tmp_path):
    import importlib.util

    names = [n for n in ("diffrax", "torchdiffeq", "cubie") if importlib.util.find_spec(n) is None]
    if not names:
        pytest.skip("diffrax, torchdiffeq and cubie are all installed here")
    argv = ["--problem", "lorenz96", "--peers", ",".join(names), "--cases", "c", "--sizes", "2", "--t1", "0.005",
            "--repeats", "1", "--wall-repeats", "1", "--out", str(tmp_path)]
    assert peers.main(argv) == 0
    (path,) = tmp_path.glob("peers_*_lorenz96.json")
    doc = json.loads(path.read_text())
    assert doc["finished"] is True and doc["settings"]["problem"]["system"] == "lorenz96"
    for name in names:
        entry = doc["results"]["rk4_fixed"][name]
        assert entry["status"].startswith("unavailable") and not entry.get("measurements")


def test_unknown_problem_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as exc:
        peers.parse_args(["--problem", "nobody"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--problem" in err and "nobody" in err


def test_default_problem_is_lorenz():
    args = peers.parse_args([])
    assert args.problem == "lorenz"
    assert args.agree_tol == 1e-4


def test_agreement_tolerance_is_the_problems_unless_given(capsys):
    assert peers.parse_args(["--problem", "lorenz96"]).agree_tol == 5e-3  # float32 rounding on a chaotic ring
    assert peers.parse_args(["--problem", "lorenz96", "--agree-tol", "1e-3"]).agree_tol == 1e-3
    with pytest.raises(SystemExit) as exc:
        peers.parse_args(["--agree-tol", "0"])
    assert exc.value.code == 2 and "--agree-tol must be > 0" in capsys.readouterr().err
