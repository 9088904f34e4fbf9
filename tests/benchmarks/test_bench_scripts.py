"""The other scripts as modules: sanitize's child processes, and peers whose frameworks are not installed."""

import importlib.util
import json

import pytest

from benchmarks import peers, sanitize


def test_sanitize_runs_its_children_as_modules(tmp_path, capsys):
    argv = ["--sanitizer", "none", "--tools", "memcheck", "--methods", "rk4", "--placements", "local",
            "--blocks", "32", "--controllers", "default", "--n", "5", "--jobs", "1", "--out", str(tmp_path)]
    assert sanitize.main(argv) == 0
    (path,) = tmp_path.glob("sanitizer_*.json")
    (result,) = json.loads(path.read_text())["results"]
    assert result["outcome"] == "ran" and result["errors"] == 0 and result["result_ok"] is True


@pytest.mark.parametrize("name, package", [("diffrax", "diffrax"), ("torchdiffeq", "torchdiffeq"),
                                           ("cubie", "cubie")])
def test_a_missing_framework_is_recorded_unavailable(tmp_path, name, package):
    if importlib.util.find_spec(package) is not None:
        pytest.skip(f"{package} is installed here")
    argv = ["--peers", name, "--cases", "c", "--sizes", "2", "--t1", "0.01", "--repeats", "1", "--wall-repeats", "1",
            "--out", str(tmp_path)]
    assert peers.main(argv) == 0
    (path,) = tmp_path.glob("peers_*.json")
    entry = json.loads(path.read_text())["results"]["rk4_fixed"][name]
    assert entry["status"].startswith("unavailable") and not entry.get("measurements")
