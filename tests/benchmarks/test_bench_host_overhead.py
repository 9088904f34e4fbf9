"""benchmarks.host_overhead at N = 2^4 on the simulator: every path timed, every path's result checked."""

import json

import pytest

from benchmarks import host_overhead


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    out = tmp_path_factory.mktemp("host")
    argv = ["--sizes", "4", "--t1", "0.005", "--repeats", "2", "--warmup", "1", "--kernel-repeats", "1",
            "--out", str(out)]
    assert host_overhead.main(argv) == 0
    (path,) = out.glob("host_overhead_*.json")
    return json.loads(path.read_text())


def test_document_records_where_and_how(document):
    for key in ("schema", "date_utc", "command", "device", "versions", "git", "settings", "problem", "timing",
                "kernels_module"):
        assert key in document
    assert document["finished"] is True and document["schema"] == host_overhead.SCHEMA
    assert document["kernels"]["4"]["median_ms"] > 0


def test_every_path_is_timed_and_agrees_with_the_bare_launch(document):
    rows = {r["path"]: r for r in document["results"]}
    assert set(rows) == set(host_overhead.PATHS)
    for row in rows.values():
        assert row["n"] == 16 and row["nonfinite"] == 0
        assert len(row["host_us"]["all"]) == 2 and row["host_us"]["median"] > 0
        assert row["host_sync_us"]["median"] > 0 and row["span_ms"]["median_ms"] > 0
        assert row["agrees_with_launch"] is True, row


def test_table(document, capsys):
    host_overhead.table(document)
    text = capsys.readouterr().out
    assert "integrator-out" in text and "bit for bit" in text


def test_unknown_path_is_an_argument_error(capsys):
    with pytest.raises(SystemExit):
        host_overhead.parse_args(["--paths", "integrator-out,teleport"])
    assert "unknown ['teleport']" in capsys.readouterr().err


def test_lorenz96_with_host_arrays_and_the_adaptive_controller(tmp_path):
    argv = ["--problem", "lorenz96", "--adaptive", "--paths", "solve_ivp-host", "--sizes", "3", "--t1", "0.002",
            "--repeats", "1", "--warmup", "1", "--kernel-repeats", "1", "--out", str(tmp_path), "--tag", "l96"]
    assert host_overhead.main(argv) == 0
    doc = json.loads((tmp_path / "host_overhead_cudasim_l96.json").read_text())
    assert doc["problem"]["system"] == "lorenz96" and doc["problem"]["n_states"] == 16
    assert doc["problem"]["controller"] == "pi"
    (row,) = doc["results"]
    assert row["path"] == "solve_ivp-host" and row["nonfinite"] == 0 and row["agrees_with_launch"] is True
