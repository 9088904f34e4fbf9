"""The main job: plan and run a Lorenz parameter sweep, print plan, backend, timing, states.

Run ``bufferplan demo`` (the console script wired to :func:`main`) or
``python -m kernels.demo``.  On a GPU it sweeps 1000 trajectories over
``t in [0, 10]``; on the CUDA simulator, which runs a Python thread per
trajectory, 64 over ``[0, 2]``.  Bad arguments, and a CUDA backend forced
without a GPU, end it before anything is computed with one
``bufferplan: error: ...`` line and exit code 2, like the ``planner`` CLI; so does
output that cannot be written (a full disk), while a reader that goes away
(``bufferplan | head -1``) ends it quietly with exit code 141, as Unix tools do.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import warnings

import numpy as np

from planner.cli import NEGATIVE_NUMBER, silence_stdout
from planner.wording import format_count

from . import tolerances, validation as check
from .api import plan_for, solve_ivp
from .backend import backend, device_problem
from .errors import ConfigurationError
from .device import default_block_size
from .integrator import DEFAULT_MAX_STEPS
from .integrator_checks import controller_settings
from .planning import PLAN_CHOICES
from .example_systems import lorenz
from .methods import METHOD_NAMES, get_method
from .tableaus import get_tableau
from .time_checks import check_fixed_step

__all__ = ["main", "lorenz_sweep_params"]


def lorenz_sweep_params(n, rho_max=28.0):
    """Parameters ``(10, rho, 8/3)`` for ``rho = linspace(0, rho_max, n)``."""
    rho = np.linspace(0.0, rho_max, n)
    return np.column_stack([np.full(n, 10.0), rho, np.full(n, 8.0 / 3.0)])


Y0 = (1.0, 1.0, 1.0)
MAX_TRAJECTORIES = 2 ** 31 - 1  # what a launch's 32-bit thread index counts
# Host memory a trajectory takes at the least: its parameters with numpy's temporaries, its state, its saved
# final state and its counters (more on a GPU, where they are copied); -n past what the machine holds at this
# rate is refused before anything is allocated, rather than swapping or being killed.
HOST_BYTES_PER_TRAJECTORY = 128
_EPILOG = ("exit codes: 0 every trajectory succeeded, 1 some did not, 2 bad input, no usable backend or output "
           "that cannot be written, 141 the reader of the output went away")


def _fail(message):
    """Print one ``bufferplan: error:`` line and exit with status 2."""
    print("bufferplan: error: " + " ".join(str(message).split()), file=sys.stderr)
    sys.exit(2)


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one ``bufferplan: error:`` line and exit code 2."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER  # "--rtol -1e-6" is a value, not an option

    def error(self, message):
        _fail(f"{message} (see '{self.prog} --help')")


def _parser():
    sim = backend() != "cuda"
    parser = _Parser(
        prog="bufferplan", description="Plan and run a Lorenz parameter sweep (rho from 0 to 28).",
        epilog=_EPILOG)
    parser.add_argument("command", nargs="?", default="demo", choices=("demo",),
                        help="what to run (only 'demo' for now; the console script passes it)")
    parser.add_argument("-n", "--trajectories", type=int, default=64 if sim else 1000,
                        help="number of trajectories (default: 1000 on a GPU, 64 on the simulator)")
    parser.add_argument("--t-end", type=float, default=2.0 if sim else 10.0,
                        help="end time (default: 10 on a GPU, 2 on the simulator)")
    parser.add_argument("--method", default="tsit5", choices=METHOD_NAMES, type=str.lower,
                        help="integration method (case-insensitive, as in Python; default tsit5)")
    parser.add_argument("--dt", type=float, default=None,
                        help="step (fixed-step methods and --controller fixed) or first step")
    parser.add_argument("--controller", default=None, choices=("fixed", "i", "pi", "pid"), type=str.lower,
                        help="step-size controller (default pi where the method has an error estimate, else fixed)")
    parser.add_argument("--plan", default="auto", choices=PLAN_CHOICES, type=str.lower,
                        help="buffer plan (case-insensitive; default auto)")
    parser.add_argument("--precision", default="float32", choices=("float32", "float64"))
    parser.add_argument("--block-size", type=int, default=None if sim else 128)
    parser.add_argument("--rtol", type=float, default=None,
                        help="relative tolerance of adaptive methods (default "
                        f"{tolerances.DEFAULT_RTOL['float32']:g} in float32, "
                        f"{tolerances.DEFAULT_RTOL['float64']:g} in float64)")
    parser.add_argument("--atol", type=float, default=None,
                        help=f"absolute tolerance of adaptive methods (default {tolerances.DEFAULT_ATOL:g})")
    parser.add_argument("--max-steps", type=int, default=None,
                        help=f"steps a trajectory may take (default {DEFAULT_MAX_STEPS})")
    parser.add_argument("--show", type=int, default=5, help="final states to print")
    return parser


def _validate(args):
    """Check every argument as solve_ivp would, before anything is computed; raise ConfigurationError."""
    check.check_int(args.trajectories, "-n/--trajectories", 1)
    check_trajectories(args.trajectories)
    t_end = check.check_positive(args.t_end, "--t-end")
    estimates = get_tableau(args.method).adaptive
    if args.controller not in (None, "fixed") and not estimates:
        raise ConfigurationError(f"--controller {args.controller} needs an error estimate, which the method "
                                 f"{args.method!r} lacks: use --controller fixed with --dt, or an adaptive method")
    adaptive = estimates and args.controller != "fixed"
    if args.dt is None and not adaptive:
        raise ConfigurationError(f"--dt is required with fixed steps (method {args.method!r}"
                                 + (", --controller fixed)" if estimates else ")"))
    dt = check.check_positive(args.dt, "--dt", allow_none=True)
    check_fixed_step(dt, 0.0, t_end, adaptive, what="--dt")
    if args.block_size is not None:
        check.check_int(args.block_size, "--block-size", 1)
    check.check_int(args.show, "--show", 0)
    dtype = np.dtype(args.precision).type
    if args.max_steps is not None:
        check.check_int(args.max_steps, "--max-steps", 1)
    rtol = tolerances.default_rtol(dtype) if args.rtol is None else args.rtol
    atol = tolerances.DEFAULT_ATOL if args.atol is None else args.atol
    rtol = tolerances.check_tolerance(rtol, "--rtol", len(Y0), dtype)
    atol = tolerances.check_tolerance(atol, "--atol", len(Y0), dtype)
    if adaptive and np.any((rtol == 0) & (atol == 0)):
        raise ConfigurationError("--rtol and --atol must not both be 0")
    tolerances.check_tolerance_reachable(rtol, atol, np.array([Y0]), dtype, adaptive,
                                    names=("--rtol", "--atol", "--precision float64"))


def _host_memory_bytes():
    """The machine's physical memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_trajectories(n):
    """ConfigurationError for an -n no launch indexes (past 2^31 - 1) or this machine's memory cannot hold."""
    if n > MAX_TRAJECTORIES:
        raise ConfigurationError(f"-n/--trajectories: expected at most {MAX_TRAJECTORIES} (2^31 - 1, what a "
                                 f"launch's thread index counts); got {format_count(n)}; give a smaller -n")
    memory = _host_memory_bytes()
    if memory and n * HOST_BYTES_PER_TRAJECTORY > memory:
        most = memory // HOST_BYTES_PER_TRAJECTORY
        raise ConfigurationError(f"-n/--trajectories: expected at most {most} trajectories, what this machine's "
                                 f"{memory / 2 ** 30:.1f} GiB of memory holds at {HOST_BYTES_PER_TRAJECTORY} B or more "
                                 f"each; got {n}; give a smaller -n, or split the sweep over several runs")


def main(argv=None):
    """Run the demo; return the exit status (0 when every trajectory succeeded).

    Bad arguments exit with status 2 and one ``bufferplan: error:`` line, before
    anything is computed.
    """
    from planner.errors import ConfigurationError as PlannerConfigurationError

    parser = _parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():  # the solve warns again, in the command line's spelling
            warnings.simplefilter("ignore")
            _validate(args)
    except ConfigurationError as exc:
        parser.error(str(exc))
    problem = device_problem()
    if problem is not None:
        _fail(problem)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            code = _run(args)
        sys.stdout.flush()  # a closed pipe or a full disk shows here, not at exit
        return code
    except PlannerConfigurationError as exc:  # e.g. a block size the device does not allow, found by planning
        parser.error(_command_line_spelling(str(exc)))
    except MemoryError:  # within the bounds of check_trajectories, yet more than is free now
        _fail(f"-n/--trajectories: expected a number of trajectories the free memory holds; got "
              f"{args.trajectories}, for which an allocation failed; give a smaller -n")
    except BrokenPipeError:
        silence_stdout()
        return 141  # 128 + SIGPIPE: what a shell reports for a tool ended by a closed pipe (as the planner CLI)
    except OSError as exc:
        silence_stdout()
        _fail(f"cannot write the output: {exc.strerror or exc}")


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A library warning as one ``bufferplan: warning:`` line in the command line's spelling (not a Python
    warning pointing at the console script)."""
    print(f"bufferplan: warning: {' '.join(_command_line_spelling(str(message)).split())}", file=sys.stderr)


def _command_line_spelling(message):
    """A message of the Python API as the command line spells its options (``plan='auto'`` is ``--plan auto``)."""
    message = re.sub(r"(?<![-\w])dt=(\.\.\.|[0-9.eE+-]+)", r"--dt \1", message)  # dt=0.01 is --dt 0.01
    message = re.sub(r"(?<![-\w])precision=np\.(float32|float64)", r"--precision \1", message)
    for name in ("plan", "method", "controller"):  # method='rodas5p', 'radau' or 'kvaerno5' is --method rodas5p, ...
        message = re.sub(rf"(?<![-\w]){name}=((?:'[^']*'|\w+)(?:(?:, | or )'[^']*')*)",
                         lambda m, o=name: f"--{o} " + m.group(1).replace("'", ""), message)
    return re.sub(r"(?<![-\w])(block_size|rtol|atol|max_steps)\b", lambda m: "--" + m.group(1).replace("_", "-"),
                  message)


def _run(args):
    from planner.report import plan_table, plan_totals

    system = lorenz()
    n = args.trajectories
    params = lorenz_sweep_params(n)
    block_size = args.block_size or default_block_size()
    start = time.perf_counter()
    plan = plan_for(system, args.method, np.dtype(args.precision), block_size, args.plan, controller=args.controller)
    plan_s = time.perf_counter() - start
    print(f"Lorenz sweep: {n} trajectories, rho in [0, 28], t in [0, {args.t_end:g}], method {args.method}, "
          f"{args.precision}, block size {block_size}")
    print(f"\nPlan ({plan_s:.2f} s to plan):")
    print(plan_table(plan))
    print(plan_totals(plan))
    print(f"\nBackend: {backend()}")
    # --dt is documented as the first step of an adaptive run: the controller is named for solve_ivp, which warns
    # about a dt given to a defaulted adaptive controller (a user who meant fixed steps)
    controller = (args.controller if args.controller is not None or args.dt is None else
                  controller_settings(None, get_method(args.method)).kind)
    kwargs = dict(method=args.method, controller=controller, dt=args.dt, rtol=args.rtol, atol=args.atol,
                  precision=np.dtype(args.precision).type, plan=plan,
                  max_steps=DEFAULT_MAX_STEPS if args.max_steps is None else args.max_steps)
    start = time.perf_counter()
    result = solve_ivp(system, (0.0, args.t_end), Y0, params, **kwargs)
    first_s = time.perf_counter() - start
    print(f"First run (includes compilation): {first_s:.3f} s")
    if backend() == "cuda":
        start = time.perf_counter()
        result = solve_ivp(system, (0.0, args.t_end), Y0, params, **kwargs)
        print(f"Second run (compiled): {time.perf_counter() - start:.3f} s")
    status = np.asarray(result.status)
    print(f"Status: {int(np.sum(status == 0))}/{n} succeeded; steps per trajectory "
          f"{int(np.min(result.n_steps))}..{int(np.max(result.n_steps))}, "
          f"{int(np.sum(result.n_rejected))} rejected in all")
    print("\n     rho           x           y           z  status")
    for i in np.unique(np.linspace(0, n - 1, min(args.show, n)).astype(int)):
        x, y, z = result.y[i, -1]
        print(f"{params[i, 1]:8.3f} {x:11.5f} {y:11.5f} {z:11.5f}  {int(status[i])}")
    failures = failure_summary(result, status, params[:, 1])
    if failures:
        print("\n" + failures)
    return 0 if np.all(status == 0) else 1


def failure_summary(result, status, rho):
    """Why trajectories failed: per status code, how many and the status message (``result.message``) of the
    first, in the command line's spelling; "" when none failed.

    A message carries its trajectory's own figures (the stable step at its rho, how far it got), so it is
    shown for one trajectory of each code, not for every one: a message also costs host-side probes
    (stiffness, a Jacobian's inf entries), too slow to run for a million failed trajectories.
    """
    codes, first, counts = np.unique(status, return_index=True, return_counts=True)
    lines = []
    for code, i, count in zip(codes, first, counts):
        if code == 0:
            continue
        which = f"{count} trajectories" if count > 1 else "1 trajectory"
        lines.append(f"  status {int(code)}, {which} (the message of the first, trajectory {int(i)} at rho "
                     f"{rho[i]:g}): {' '.join(_command_line_spelling(result.message(int(i))).split())}")
    if not lines:
        return ""
    return f"Failed: {int(np.sum(status != 0))} of {len(status)} trajectories; why:\n" + "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
