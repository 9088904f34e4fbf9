"""The main job runs on whatever backend is present and prints plan, backend, time and states."""

import pytest

import kernels
from kernels.demo import lorenz_sweep_params, main


def test_demo_small_sweep(capsys):
    assert main(["demo", "-n", "4", "--t-end", "0.2", "--show", "3"]) == 0
    out = capsys.readouterr().out
    for words in ("Lorenz sweep: 4 trajectories", "loop.erk.stage_rhs", "shared bytes/block",
                  f"Backend: {kernels.backend()}", "First run", "Status: 4/4 succeeded", "rho"):
        assert words in out, words


def test_sweep_params():
    params = lorenz_sweep_params(5)
    assert params.shape == (5, 3) and params[0, 1] == 0.0 and params[-1, 1] == 28.0


def test_demo_fixed_step_needs_dt(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--method", "rk4"])
    assert "--dt is required" in capsys.readouterr().err
    assert main(["demo", "-n", "2", "--t-end", "0.1", "--method", "rk4", "--dt", "0.01", "--plan", "local"]) == 0
