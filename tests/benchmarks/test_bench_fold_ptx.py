"""benchmarks.fold_ptx: its command line (the comparison itself needs the CUDA target: tests/kernels/test_moves_ir.py)."""

import pytest

from benchmarks import fold_ptx


def test_a_case_names_its_parts():
    assert fold_ptx.parse_case("rodas4:fixed:bruss:8:float32:local:lu") == (
        "rodas4", "fixed", "bruss", 8, "float32", "local", "lu")
    assert fold_ptx.parse_case("tsit5:pi:chain:16:float64:shared")[-1] is None


@pytest.mark.parametrize("bad", ["tsit5:pi:chain:16:float32", "tsit5:pi:moon:16:float32:local",
                                 "tsit5:pi:chain:x:float32:local", "tsit5:pi:chain:16:half:local"])
def test_a_malformed_case_is_a_usage_error(bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        fold_ptx.main([bad])
    assert exit_info.value.code == 2
    assert "method:controller:system:n:precision:plan" in capsys.readouterr().err


def test_the_simulator_is_refused_with_the_way_out(monkeypatch):
    monkeypatch.setenv("NUMBA_ENABLE_CUDASIM", "1")
    with pytest.raises(SystemExit, match="NUMBA_ENABLE_CUDASIM=0"):
        fold_ptx.main(["tsit5:pi:chain:4:float32:local"])
