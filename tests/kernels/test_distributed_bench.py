"""scaleout/bench.py refuses arguments that would fail only after its whole run."""

import pytest

bench = pytest.importorskip("scaleout.bench")


class _RunStarted(Exception):
    pass


def _no_run(*args, **kwargs):
    raise _RunStarted("the benchmark started")


@pytest.mark.parametrize("argv, said", [
    (["--out", "/nonexistent-folder/scaleout.json"], "argument --out: folder /nonexistent-folder does not exist"),
    (["--repeats", "0"], "argument --repeats: expected an int of at least 1"),
    (["--chunks-per-worker", "0"], "argument --chunks-per-worker: expected an int of at least 1"),
])
def test_arguments_that_would_fail_after_the_run_are_refused_before_it(argv, said, monkeypatch, capsys, tmp_path):
    """A mistyped --out folder raised FileNotFoundError after the whole run; --repeats 0 raised
    "ValueError: min() arg is an empty sequence"."""
    monkeypatch.setattr(bench.kernels, "Integrator", _no_run)
    if "--out" not in argv:
        argv = [*argv, "--out", str(tmp_path / "scaleout.json")]
    with pytest.raises(SystemExit) as exited:
        bench.main(["--log2-sizes", "3", "--t-end", "0.002", *argv])
    assert exited.value.code == 2 and said in capsys.readouterr().err
