"""Backend choice: the simulator without a driver, and an explicit setting always wins."""

import os
import subprocess
import sys

import pytest

import kernels
from kernels.backend import device_problem, driver_usable

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run_in_subprocess(env_value, code):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    if env_value is not None:
        env["NUMBA_ENABLE_CUDASIM"] = env_value
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _backend_in_subprocess(env_value):
    return _run_in_subprocess(env_value, "import os, kernels; print(kernels.backend(), "
                                         "os.environ['NUMBA_ENABLE_CUDASIM'])").split()


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


@pytest.mark.skipif(driver_usable(), reason="needs a machine without a usable CUDA driver")
def test_forced_cuda_without_gpu_says_so():
    """The rhs is not blamed: systems are built (and checked), solving says that there is no GPU."""
    code = """
import kernels
system = kernels.lorenz()
try:
    kernels.solve_ivp(system, (0.0, 1.0), [1.0, 1.0, 1.0])
except kernels.DeviceUnavailableError as exc:
    print(exc)
"""
    assert _run_in_subprocess("0", code) == (
        "No usable NVIDIA GPU and CUDA driver were found, but the CUDA backend is selected "
        "(NUMBA_ENABLE_CUDASIM=0 forces it): unset NUMBA_ENABLE_CUDASIM, or set it to 1, to run on Numba's "
        "CUDA simulator.\n")


@pytest.mark.parametrize("value, expected", [("yes", "1"), (" True", "1"), ("on", "1"), ("1.0", "1")])
def test_a_setting_in_words_is_read_as_numba_would_have_meant_it(value, expected):
    """Numba reads only integers: "yes" printed its traceback and took 0 (a pipeline engineer's trial)."""
    assert _backend_in_subprocess(value) == ["simulator", expected]


@pytest.mark.skipif(driver_usable(), reason="needs a machine without a usable CUDA driver")
@pytest.mark.parametrize("value, why", [("maybe", "NUMBA_ENABLE_CUDASIM='maybe' is not 0 or 1, and Numba reads what it "
                                                  "cannot parse as 0"),
                                        ("false", "NUMBA_ENABLE_CUDASIM=false forces it")])
def test_a_setting_that_selects_cuda_without_a_gpu_is_named_as_given(value, why):
    code = "from kernels.backend import device_problem; print(device_problem())"
    assert f"the CUDA backend is selected ({why}): unset" in _run_in_subprocess(value, code)


def test_an_empty_setting_is_as_if_unset():
    """``NUMBA_ENABLE_CUDASIM=`` printed two Numba tracebacks and blamed an early import of numba.cuda."""
    expected = ["cuda", "0"] if driver_usable() else ["simulator", "1"]
    assert _backend_in_subprocess("") == expected


def test_no_device_problem_on_the_backend_in_use():
    assert kernels.backend() == "simulator" or driver_usable()
    assert device_problem() is None
