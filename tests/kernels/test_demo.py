"""The main job runs on whatever backend is present and prints plan, backend, time and states."""

import os
import subprocess
import sys

import pytest

import kernels
from kernels.backend import driver_usable
from kernels.demo import lorenz_sweep_params, main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
    with pytest.raises(SystemExit) as info:
        main(["demo", "--method", "rk4"])
    assert info.value.code == 2
    assert "--dt is required" in capsys.readouterr().err
    assert main(["demo", "-n", "2", "--t-end", "0.1", "--method", "rk4", "--dt", "0.01", "--plan", "local"]) == 0


def test_demo_runs_an_implicit_method(capsys):
    """--method offered only the explicit tableaus (a user's trial); every method name is a choice now."""
    assert main(["demo", "-n", "2", "--t-end", "0.1", "--method", "radau", "--plan", "local"]) == 0
    assert "method radau" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["-n", "0"], "-n/--trajectories must be an integer >= 1; got 0"),
    (["-n", "many"], "argument -n/--trajectories: invalid int value: 'many'"),
    (["--dt", "-1"], "--dt must be > 0; got -1.0"),
    (["--rtol", "-1"], "--rtol must be finite and >= 0; got -1.0"),
    (["--atol", "nan"], "--atol must be finite and >= 0; got nan"),
    (["--rtol", "0", "--atol", "0"], "--rtol and --atol must not both be 0"),
    (["--t-end", "0"], "--t-end must be > 0; got 0.0"),
    (["--block-size", "0"], "--block-size must be an integer >= 1; got 0"),
    (["--show", "-1"], "--show must be an integer >= 0; got -1"),
    (["--method", "rk4", "--t-end", "1", "--dt", "5"], "--dt=5.0 is longer than the integration span"),
    (["--rtol", "1e-12", "--atol", "1e-12"], "--rtol=1e-12 and --atol=1e-12 are tighter than float32 can resolve"),
    (["-n", "2", "--block-size", "5000"], "--block-size: expected an integer in 1..1024, got 5000"),
    (["--rtol", "2"], "--rtol must be below 1"),  # it failed only after planning and printing the plan
    (["-n", "2", "--plan", "shared", "--block-size", "1024", "--precision", "float64"],
     "--plan shared: the buffers do not fit"),
    # a ValueError traceback from np.linspace, and a MemoryError one with exit 1
    (["-n", "99999999999999999999"], "-n/--trajectories: expected at most 2147483647 (2^31 - 1"),
    (["-n", "10000000000000"], "-n/--trajectories: expected at most 2147483647 (2^31 - 1"),
    # a negative number in exponent form was taken for an option: "expected one argument"
    (["--rtol", "-1e-6"], "--rtol must be finite and >= 0; got -1e-06"),
    (["--dt", "-1e-3"], "--dt must be > 0; got -0.001"),
    (["--atol", "-1e-9"], "--atol must be finite and >= 0; got -1e-09"),
    (["--t-end", "-2E+1"], "--t-end must be > 0; got -20.0"),
    # cast to float32 it was inf, with NumPy's overflow warnings, and the run went on (a pipeline engineer's trial)
    (["--atol", "1e300"], "--atol must be at most 3.4e+38 (float32's largest number); got 1e+300"),
    (["--max-steps", "0"], "--max-steps must be an integer >= 1; got 0"),
])
def test_bad_arguments_end_in_one_line_before_anything_runs(capsys, args, message):
    with pytest.raises(SystemExit) as info:
        main(["demo", *args])
    out, err = capsys.readouterr()
    assert info.value.code == 2
    assert out == ""  # nothing planned or computed
    assert err.count("\n") == 1 and err.startswith("bufferplan: error: ")
    assert message in err and err.rstrip().endswith("(see 'bufferplan --help')")


def test_help_names_the_console_script(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("usage: bufferplan ")


def test_tight_tolerance_is_fine_in_float64(capsys):
    assert main(["demo", "-n", "2", "--t-end", "0.05", "--rtol", "1e-12", "--atol", "1e-12",
                 "--precision", "float64"]) == 0
    assert "Status: 2/2 succeeded" in capsys.readouterr().out


@pytest.mark.skipif(driver_usable(), reason="needs a machine without a usable CUDA driver")
def test_forced_cuda_without_gpu_is_one_sentence():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-m", "kernels.demo", "demo"], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr == ("bufferplan: error: no usable NVIDIA GPU and CUDA driver were found, but the CUDA backend "
                          "is selected (NUMBA_ENABLE_CUDASIM=0 forces it): unset NUMBA_ENABLE_CUDASIM, or set it to "
                          "1, to run on Numba's CUDA simulator\n")


def test_the_command_line_spells_its_options_in_messages(capsys):
    """A planning error names the options as the command line takes them (it said "use plan='auto'")."""
    with pytest.raises(SystemExit):
        main(["demo", "-n", "2", "--plan", "shared", "--block-size", "1024", "--precision", "float64"])
    err = capsys.readouterr().err
    assert "use --plan auto or a smaller --block-size" in err and "plan=" not in err and "block_size" not in err


def _demo(stdout):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-m", "kernels.demo", "demo", "-n", "1", "--t-end", "0.01"], env=env,
                            stdout=stdout, stderr=subprocess.PIPE, text=True)


def test_a_closed_pipe_ends_quietly_and_a_failed_write_in_one_line():
    """``bufferplan | head -1`` printed a BrokenPipeError traceback, ``> /dev/full`` an OSError one."""
    process = _demo(subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first write
    assert process.wait(timeout=300) == 141
    assert process.stderr.read() == ""
    if not os.path.exists("/dev/full"):
        return
    with open("/dev/full", "w") as full:
        process = _demo(full)
        assert process.wait(timeout=300) == 2
    assert process.stderr.read() == "bufferplan: error: cannot write the output: No space left on device\n"


def test_trajectories_past_the_machines_memory_are_refused(capsys, monkeypatch):
    import kernels.demo as demo

    monkeypatch.setattr(demo, "_host_memory_bytes", lambda: 2 ** 20)
    with pytest.raises(SystemExit) as info:
        main(["demo", "-n", "10000"])
    out, err = capsys.readouterr()
    assert info.value.code == 2 and out == ""
    assert err.startswith("bufferplan: error: -n/--trajectories: expected at most 8192 trajectories, what this "
                          "machine's 0.0 GiB of memory holds") and err.count("\n") == 1


def test_a_failed_allocation_is_one_line_naming_n(capsys, monkeypatch):
    """-n 10000000000000 ended in a MemoryError traceback and exit 1 ("some trajectories failed")."""
    import kernels.demo as demo

    def no_memory(n, rho_max=28.0):
        raise MemoryError

    monkeypatch.setattr(demo, "lorenz_sweep_params", no_memory)
    with pytest.raises(SystemExit) as info:
        main(["demo", "-n", "1000"])
    out, err = capsys.readouterr()
    assert info.value.code == 2 and out == ""
    assert err == ("bufferplan: error: -n/--trajectories: expected a number of trajectories the free memory holds; "
                   "got 1000, for which an allocation failed; give a smaller -n\n")


def test_failed_trajectories_say_why(capsys):
    """Rows of nan and status 3, exit 1 and no reason: the status message now follows the table, once per status."""
    assert main(["demo", "-n", "2", "--method", "euler", "--dt", "0.5", "--t-end", "20"]) == 1
    out = capsys.readouterr().out
    table, _, why = out.partition("\nFailed: 2 of 2 trajectories; why:\n")
    assert "nan" in table and why.count("\n") == 1, out
    assert why.startswith("  status 3, 2 trajectories (the message of the first, trajectory 0 at rho 0): The state "
                          "became non-finite")
    assert "--method radau (within a few tolerances" in why and "method=" not in why


def test_a_successful_sweep_prints_no_failures(capsys):
    assert main(["demo", "-n", "2", "--t-end", "0.05"]) == 0
    assert "Failed" not in capsys.readouterr().out


def test_method_and_plan_names_are_case_insensitive(capsys):
    """The README says so, and Python takes them; the command line refused TSIT5 and AUTO."""
    assert main(["demo", "-n", "1", "--t-end", "0.05", "--method", "TSIT5", "--plan", "Auto"]) == 0
    assert "method tsit5" in capsys.readouterr().out


def test_a_fixed_step_run_warns_only_about_what_the_user_gave_in_the_command_lines_words(capsys):
    """The command line passed its own default tolerances, so every rk4 run printed a Python ToleranceWarning
    pointing at the console script about rtol and atol the user never gave (a pipeline engineer's trial)."""
    assert main(["demo", "-n", "2", "--t-end", "0.05", "--method", "rk4", "--dt", "0.01"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["demo", "-n", "2", "--t-end", "0.05", "--method", "rk4", "--dt", "0.01", "--rtol", "1e-3"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("bufferplan: warning: --rtol has no effect on this run") and err.count("\n") == 1
    assert "takes fixed steps of --dt 0.01" in err  # the command line's spelling (a regression hunt)


def test_max_steps_is_an_option_and_the_message_that_advises_it_names_it(capsys):
    """MAX_STEPS said 'raise max_steps', which the command line had no option for."""
    assert main(["demo", "-n", "2", "--t-end", "1", "--method", "rk4", "--dt", "1e-3", "--max-steps", "50"]) == 1
    out = capsys.readouterr().out
    assert "more than --max-steps = 50: raise --max-steps to at least 1000, or take a larger dt" in out
    assert main(["demo", "-n", "2", "--t-end", "0.05", "--method", "rk4", "--dt", "1e-3", "--max-steps", "50"]) == 0


def test_a_controller_option_and_the_advice_that_names_it(capsys):
    """ros3p's warning advised controller='fixed', dt=..., which the command line had no way to say."""
    assert main(["demo", "-n", "2", "--t-end", "0.05", "--method", "tsit5", "--controller", "fixed",
                 "--dt", "0.01"]) == 0
    assert "Status: 2/2 succeeded" in capsys.readouterr().out
    assert main(["demo", "-n", "2", "--t-end", "0.05", "--method", "ros3p"]) == 0
    assert "keep ros3p for fixed steps (--controller fixed, --dt ...)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["demo", "--method", "rk4", "--controller", "pi"])
    assert "--controller pi needs an error estimate, which the method 'rk4' lacks" in capsys.readouterr().err


def test_demo_dt_of_an_adaptive_method_is_its_first_step_without_a_warning(capsys):
    """--dt is documented as the first step of an adaptive run: the demo names the controller, so solve_ivp's
    warning for a dt given to a defaulted adaptive controller (a user who meant fixed steps) stays away."""
    assert main(["demo", "-n", "2", "--t-end", "0.1", "--method", "tsit5", "--dt", "0.01", "--plan", "local"]) == 0
    assert "only the first step" not in capsys.readouterr().err
