"""Backend choice: the simulator without a driver, and an explicit setting always wins."""

import os
import subprocess
import sys

import pytest

import kernels
from kernels.backend import driver_usable

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _backend_in_subprocess(env_value):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    if env_value is not None:
        env["NUMBA_ENABLE_CUDASIM"] = env_value
    code = "import os, kernels; print(kernels.backend(), os.environ['NUMBA_ENABLE_CUDASIM'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_backend_reported():
    assert kernels.backend() in ("cuda", "simulator")
    assert (kernels.backend() == "cuda") == (os.environ.get("NUMBA_ENABLE_CUDASIM") == "0"
                                            or (driver_usable() and "NUMBA_ENABLE_CUDASIM" not in os.environ))


def test_default_follows_the_driver():
    expected = ["cuda", "0"] if driver_usable() else ["simulator", "1"]
    assert _backend_in_subprocess(None) == expected


def test_explicit_simulator_wins():
    assert _backend_in_subprocess("1") == ["simulator", "1"]


@pytest.mark.skipif(driver_usable(), reason="on a GPU machine '0' is also the default")
def test_explicit_cuda_wins_even_without_driver():
    assert _backend_in_subprocess("0") == ["cuda", "0"]
