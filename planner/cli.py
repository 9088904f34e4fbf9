"""The ``planner`` command: plan, verify, compare, draw and demo buffer layouts.

Exit codes: 0 success, 1 a plan fails verification (``verify``, ``show`` and
``explain``, which check a plan: :data:`VERIFYING`), 2 bad input (one
``planner: error: ...`` line on stderr, nothing written), 141 the reader of
stdout went away (``planner demo | head -1``).
"""

import argparse
import json
import math
import os
import re
import shlex
import sys
import textwrap

from . import csvio as files
from . import report
from .cli_io import (Once, StdoutError, _respell, _Stdout, apply_overrides, check_outputs, check_register_cap,
                     command_line_spelling, goal_for, load_problem, plan_json_text, refuse_stdin, register_count,
                     warp_note)
from .csvio import CAPACITY_LIMIT, os_error_message
from .device import PRESETS
from .errors import ConfigurationError, PlanError, PlannerError
from .explain import input_hash_note
from .problem import OBJECTIVES
from .solve import GOALS, PLANNERS, solve

DEFAULT_TIME_LIMIT = 10.0  # seconds, --time-limit's default
_PROBLEM_HELP = "PlanningProblem JSON file, or MiniMalloc CSV (.csv: id,lower,upper,size)"
_EPILOG = ("exit codes: 0 success, 1 the plan fails verification (verify, show, explain),\n"
           "2 bad input, 141 the reader of the output went away")
#: The subcommands that check a plan, and so may exit 1 (a PlanError: verify's FAILED line, show's and
#: explain's "the plan fails rule"); the others plan, and their plans are verified as they are made.
VERIFYING = ("verify", "show", "explain")

# What argparse takes for a negative number, a value rather than an option: its own pattern (-1, -.5) knows no
# exponent, so "--time-limit -1e-3" was "expected one argument" instead of the option's range check.
NEGATIVE_NUMBER = re.compile(r"^-(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf|infinity|nan)$", re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one ``planner: error:`` line and exit code 2, and which takes a
    negative number in any form (``-1e-3``, ``-inf``) as a value."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER

    def error(self, message):
        sys.exit(_fail(f"{message} (see '{self.prog} --help')"))

    def parse_args(self, args=None, namespace=None):
        """As argparse's, but an unrecognized argument points at the subcommand's help, not the top level's
        (``planner plan X --bogus`` said "see 'planner --help'"; a CLI user's trial)."""
        _refuse_options_before_command(self, list(sys.argv[1:] if args is None else args))
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            given = list(sys.argv[1:] if args is None else args)
            command = getattr(parsed, "command", None)
            after = command in given and extras[0] in given[given.index(command) + 1:]  # given to the subcommand
            prog = f"{self.prog} {command}" if command and after else self.prog
            sys.exit(_fail(f"unrecognized arguments: {' '.join(extras)} (see '{prog} --help')"))
        return parsed


def _refuse_options_before_command(parser, given):
    """A usage error for options given before the subcommand (``planner --device h100 plan x.json``), which only
    the subcommands take: argparse took the option's value for the command ("invalid choice: 'h100'"; a user's
    trial).  Only the top-level parser, whose ``commands`` are set, checks; ``-h`` there still prints its help."""
    commands = getattr(parser, "commands", ())
    at = next((i for i, arg in enumerate(given) if arg in commands), len(given))
    before = given[:at]
    if not before or not before[0].startswith("-") or "-h" in before or "--help" in before or not commands:
        return
    if at == len(given):
        sys.exit(_fail(f"{' '.join(before)}: expected after a subcommand (the options belong to it), got no "
                       f"subcommand; give one of {', '.join(commands)} first, as in "
                       f"{shlex.join([parser.prog, commands[0], 'PROBLEM', *before])} (see '{parser.prog} --help')"))
    command = given[at]
    sys.exit(_fail(f"{' '.join(before)}: expected after the subcommand (the options belong to it), got before "
                   f"{command}; give {shlex.join([parser.prog, *given[at:], *before])} (see '{parser.prog} "
                   f"{command} --help')"))


def run_planner(problem, name, time_limit, goal="min-peak", max_registers=None):
    try:
        return solve(problem, name, time_limit_s=time_limit, goal=goal if name == "cpsat" else "min-peak",
                     max_registers=max_registers)
    except ImportError as exc:
        raise ConfigurationError(f"the {name} planner is unavailable: {exc}") from None


def compare_all(problem, time_limit, goal="min-peak", csv=False, max_registers=None):
    """Plan with every planner: {name: Plan or the error it raised, in the command line's terms}; exit 2 if
    none succeeds. ``csv``: the problem is a MiniMalloc CSV (see command_line_spelling); ``max_registers``: the
    ``auto`` objective's register cap (--max-registers)."""
    results = {}
    for name in PLANNERS:
        try:
            results[name] = solve(problem, name, time_limit_s=time_limit, goal=goal if name == "cpsat" else "min-peak",
                                  max_registers=max_registers)
        except (PlannerError, ImportError) as exc:  # one planner's refusal (cpsat's integer range) is a row of
            results[name] = _respell(exc, csv)      # the table; a problem every planner refuses ends the command
    if all(isinstance(r, Exception) for r in results.values()):
        raise next(r for r in results.values() if isinstance(r, PlannerError))
    return results


# -- commands ----------------------------------------------------------------
def cmd_plan(args, out):
    check_planner_flags(args)
    problem = load_problem(args.problem, args)
    check_register_cap(args, problem)
    check_outputs([("--json", args.json)], [("PROBLEM", args.problem)])
    plan = run_planner(problem, args.planner, args.time_limit, goal_for(args.problem, args), args.max_registers)
    if args.planner != "cpsat" and args.time_limit_given:  # once planned: an error stays one line
        print(f"planner: note: --time-limit bounds only the cpsat planner; --planner {args.planner} does not "
              "read it and ran to the end", file=sys.stderr)
    if args.json:
        out.save(args.json, plan_json_text(plan))
    print(report.plan_report(plan, problem), file=sys.stderr if args.json == "-" else out)
    return 0


def check_planner_flags(args):
    """``plan``: ConfigurationError for --goal with a planner that does not read it.

    --goal changes what is asked (the first layout that fits, or the lowest peak): silently dropped, the
    answer would not be to the question asked. --time-limit beside greedy or sequential, which the tests
    and docs use (the planners' call is the same for all three), only gets a note (cmd_plan).
    """
    if args.planner != "cpsat" and args.goal is not None:
        raise ConfigurationError(f"--goal {args.goal}: expected only with --planner cpsat, the one planner that "
                                 f"reads it; got --planner {args.planner}, which ignores it; drop --goal, or "
                                 "use --planner cpsat")


def cmd_verify(args, out):
    plan = load_plan(args.plan)
    problem = load_problem(args.problem, args, "--problem")
    try:
        plan.verify(problem)
    except PlanError as exc:
        detail = str(exc)[len(exc.rule) + 2:] if str(exc).startswith(f"{exc.rule}: ") else str(exc)
        print(f"FAILED: rule {exc.rule}: {detail}", file=out)
        return 1
    note = input_hash_note(plan, problem)
    note = f"; note: {note}" if note else ""
    count = f"{len(plan.buffers)} buffer{'' if len(plan.buffers) == 1 else 's'}"
    print(f"OK: {count}, shared {plan.shared_elements} elements/thread, "
          f"{plan.shared_bytes_per_block} B/block{note}", file=out)
    return 0


def cmd_compare(args, out):
    problem = load_problem(args.problem, args)
    check_register_cap(args, problem)
    results = compare_all(problem, args.time_limit, goal_for(args.problem, args), csv=files.is_csv(args.problem),
                          max_registers=args.max_registers)
    print(report.comparison_table(results), file=out)
    return 0


def cmd_show(args, out):
    from .draw import draw_plan, output_format

    check_outputs([("--out", args.out)], [("PLAN", args.plan)], stdout=False)
    output_format(args.out)
    plan = load_plan(args.plan)
    plan.verify()  # the rules that need only the plan: a self-contradictory plan is not drawn
    draw_plan(plan, args.out, title=args.title, write=out.save)
    print(f"wrote {args.out}", file=out)
    return 0


def cmd_explain(args, out):
    from .explain import check_settings, explain

    given = [flag for flag, value in (("--device", args.device), ("--block-size", args.block_size),
                                      ("--min-blocks", args.min_blocks), ("--capacity", args.capacity),
                                      ("--objective", args.objective))
             if value is not None]
    if given and not args.problem:
        verb = "changes" if len(given) == 1 else "change"
        raise ConfigurationError(f"{', '.join(given)} {verb} the problem given with --problem; without one, "
                                 "explain reads the plan alone: add --problem PROBLEM, or drop them")
    plan = load_plan(args.plan)
    problem = load_problem(args.problem, args, "--problem") if args.problem else None
    if problem is not None:
        block = f" with --block-size {args.block_size}" if args.block_size is not None else ""
        check_settings(plan, problem, f"--problem {args.problem}{block}", _settings_remedy(args, plan, problem))
    explained = explain(plan, problem)  # a plan that cannot be explained raises before the note
    if explained.note:
        print(f"planner: note: {explained.note}", file=sys.stderr)
    print(explained.text(with_note=False), file=out)
    return 0


def _settings_remedy(args, plan, problem):
    """What to do, in the command line's terms, when ``explain``'s problem has another precision or block size
    than the plan (:func:`planner.explain.check_settings`): --block-size where only the block size differs."""
    block = f" --block-size {args.block_size}" if args.block_size is not None else ""
    replan = f"or make a plan for this problem: planner plan {args.problem}{block} --json PLAN"
    if problem.precision != plan.precision:
        return f"pass the problem the plan was made from (no option changes a problem's precision), {replan}"
    verb = "give" if block else "add"
    return f"{verb} --block-size {plan.block_size} to explain the plan at its own block size, {replan}"


def load_plan(path):
    """The Plan of the PLAN argument; ``-`` (standard input, which is not read) is refused as such."""
    refuse_stdin(path, "PLAN", "plan")
    return files.load_plan(path)


def cmd_calibrate(args, out):
    from .calibrate import calibrate

    refuse_stdin(args.sweep, "SWEEP", "sweep")
    check_outputs([("--out", args.out)], [("SWEEP", args.sweep)])
    result = calibrate(args.sweep, args.device)
    if args.out:
        out.save(args.out, json.dumps(result.device.to_json(), indent=2) + "\n")
    print(result.report() + (f"\nwrote {args.out}" if args.out and args.out != "-" else ""),
          file=sys.stderr if args.out == "-" else out)
    return 0


def cmd_demo(args, out):
    from .demo import demo_problem

    problem = apply_overrides(demo_problem(args.method), args)
    warp_note(problem)
    check_outputs([("--json", args.json), ("--save-problem", args.save_problem)])  # both files or neither
    results = compare_all(problem, args.time_limit)
    plan = results[args.planner]
    if isinstance(plan, Exception):
        raise plan if isinstance(plan, PlannerError) else ConfigurationError(
            f"the {args.planner} planner is unavailable: {plan}")
    if args.save_problem:
        out.save(args.save_problem, json.dumps(problem.to_json(), indent=2) + "\n")
    if args.json:
        out.save(args.json, plan_json_text(plan))
    out = sys.stderr if "-" in (args.json, args.save_problem) else out
    print(f"demo: {args.method} integrator (component tree in planner/demo.py), {len(problem.buffers)} buffers, "
          f"{problem.precision}, block size {problem.block_size}, {problem.device.name}, capacity "
          f"{problem.capacity_elems} shared elements/thread\n", file=out)
    print(report.plan_report(plan, problem) + "\n\n" + report.comparison_table(results), file=out)
    return 0


# -- parser ------------------------------------------------------------------
def _overrides(p, capacity=True):
    p.add_argument("--block-size", type=int, metavar="B", help="threads per block (overrides the problem's)")
    p.add_argument("--objective", choices=OBJECTIVES,
                   help="min-shared: the most accessed elements shared, then the lowest peak; auto: the cost model "
                        "keeps local the buffers that make the kernel fastest (overrides the problem's \"objective\")")
    p.add_argument("--device", metavar="NAME", help=f"device preset: {', '.join(sorted(PRESETS))}")
    p.add_argument("--min-blocks", type=int, metavar="N",
                   help="blocks per SM the shared budget must keep resident (overrides the problem's)")
    if capacity:
        p.add_argument("--capacity", type=int, metavar="ELEMS",
                       help="per-thread shared elements allowed (shared_capacity), below "
                            f"{CAPACITY_LIMIT:.0e}; for a MiniMalloc .csv the default is the number in the "
                            "file name, like A.1048576.csv")


def _register_cap(p):
    p.add_argument("--max-registers", type=register_count, metavar="N",
                   help="auto objective: the register cap a thread of the kernel is built with, as the Python API's "
                        "kernels.Integrator(...).max_registers (16 to the device's most; default: the device's "
                        "most, 255 on the presets)")


def _seconds(text):
    """A --time-limit: a finite number of seconds above 0 (else a usage error naming the option)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds > 0, got {text!r}")
    return value


class _Given(argparse.Action):
    """Stores the value and that it was given (``<dest>_given``): ``plan`` notes a --time-limit that its
    planner does not read, and only when the user gave one."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        setattr(namespace, self.dest + "_given", True)


def _solver(p, default_planner="cpsat", note=""):
    p.add_argument("--planner", choices=PLANNERS, default=default_planner,
                   help=f"which planner (default {default_planner})")
    p.set_defaults(time_limit_given=False)
    p.add_argument("--time-limit", type=_seconds, default=DEFAULT_TIME_LIMIT, metavar="S", action=_Given,
                   help=f"CP-SAT wall-clock limit in seconds for the whole call (default {DEFAULT_TIME_LIMIT:g})"
                        + note)


def _goal(p, note=""):
    p.add_argument("--goal", choices=GOALS, default=None,
                   help="CP-SAT: min-peak lowers the peak until proven or out of time; fit stops at the first "
                        f"layout within the capacity (default: fit for a MiniMalloc .csv, min-peak otherwise){note}")


def _command(sub, name, help_text, example, description=None):
    return sub.add_parser(name, help=help_text, description=textwrap.fill(description or help_text, 79),
                          epilog=f"example:\n  {example}\n\n{exit_codes(name)}",
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def exit_codes(command):
    """The ``--help`` line of the exit codes ``command`` can give: 1 only for those that check a plan
    (:data:`VERIFYING`; every subcommand's help listed it until 2026-12-06, plan and demo included)."""
    fails = ", 1 the plan fails verification" if command in VERIFYING else ""
    return f"exit codes: 0 success{fails}, 2 bad input, 141 the reader of the output went away"


def build_parser():
    parser = _Parser(prog="planner", formatter_class=argparse.RawDescriptionHelpFormatter,
                     description="Plan, verify, compare and draw per-thread GPU buffer layouts.",
                     epilog="examples:\n  planner demo\n  planner plan problem.json --json plan.json\n"
                            "  planner verify plan.json --problem problem.json\n\n"
                            "PROBLEM is a PlanningProblem JSON file or a MiniMalloc CSV (id,lower,upper,size).\n"
                            + _EPILOG)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, required=True)

    p = _command(sub, "plan", "plan a problem and print the layout",
                 "planner plan problem.json --planner cpsat --time-limit 5 --json plan.json",
                 "Plan PROBLEM (JSON, or a MiniMalloc .csv) and print one row per buffer "
                 "(size, placement, offset, lifetime), the totals, status, lower bound and solve time.")
    p.add_argument("problem", metavar="PROBLEM", help=_PROBLEM_HELP)
    _solver(p, note="; only --planner cpsat reads it")
    _goal(p, "; only with --planner cpsat")
    _overrides(p)
    _register_cap(p)
    p.add_argument("--json", metavar="OUT", action=Once,
                   help="also write the Plan JSON to OUT (atomically; '-' for stdout)")
    p.set_defaults(run=cmd_plan)

    p = _command(sub, "verify", "re-check a plan against its problem",
                 "planner verify plan.json --problem problem.json",
                 "Check PLAN without trusting the solver: sizes, pins, bounds, no overlap of buffers alive "
                 "together, totals, budget, views. Prints OK (exit 0) or the rule that fails (exit 1). "
                 "Give the same overrides that made the plan.")
    p.add_argument("plan", metavar="PLAN", help="Plan JSON file (from planner plan --json)")
    p.add_argument("--problem", required=True, metavar="PROBLEM", help="the problem the plan was made for")
    _overrides(p)
    p.set_defaults(run=cmd_verify)

    p = _command(sub, "compare", "run the three planners side by side",
                 "planner compare problem.json --time-limit 2",
                 "Plan PROBLEM with cpsat, greedy and sequential and print peak, stride, bytes/block, local "
                 "elements, live size (the most shared elements each plan has alive at one program point), "
                 "proven bound (the peak CP-SAT proved no layout can beat), status and seconds for each.")
    p.add_argument("problem", metavar="PROBLEM", help=_PROBLEM_HELP)
    p.add_argument("--time-limit", type=_seconds, default=10.0, metavar="S", help="CP-SAT limit in seconds")
    _goal(p)
    _overrides(p)
    _register_cap(p)
    p.set_defaults(run=cmd_compare)

    p = _command(sub, "show", "draw a plan as address over program point",
                 "planner show plan.json --out plan.svg",
                 "Draw PLAN: one rectangle per buffer interval, address (elements) up, program point "
                 "across, so the reuse of addresses is visible. Needs matplotlib (pip install 'bufferplan[plot]').")
    p.add_argument("plan", metavar="PLAN", help="Plan JSON file (from planner plan --json)")
    p.add_argument("--out", required=True, metavar="FILE", action=Once,
                   help="image to write: PNG or SVG, chosen by the name's extension (.png or .svg)")
    p.add_argument("--title", help="figure title (default: planner, status and totals)")
    p.set_defaults(run=cmd_show)

    p = _command(sub, "explain", "say why each buffer went where it did",
                 "planner explain plan.json --problem problem.json",
                 "For each buffer of PLAN: the pin, the constraint or the cost term that decided its place "
                 "(with --problem, the model's throughput had it gone the other way); then the predicted and, "
                 "where the plan records them, the compiler's registers, spills and occupancy.")
    p.add_argument("plan", metavar="PLAN", help="Plan JSON file (from planner plan --json)")
    p.add_argument("--problem", metavar="PROBLEM", help="the problem the plan was made for (JSON or .csv)")
    _overrides(p)
    p.set_defaults(run=cmd_explain)

    p = _command(sub, "calibrate", "fit the cost model's register constants to a placement sweep",
                 "planner calibrate sweep.jsonl --device h200 --out h200.json",
                 "Fit the register base per method family and the registers per word per precision to the "
                 "configuration records of SWEEP (a placement sweep's JSONL) whose kernels kept everything in "
                 "registers, and report the prediction error before and after. --out writes the device model "
                 "with the fitted constants (JSON, usable as a problem's \"device\").")
    p.add_argument("sweep", metavar="SWEEP", help="placement sweep JSONL (benchmarks/placement_sweep.py)")
    p.add_argument("--device", required=True, metavar="NAME", help=f"device preset: {', '.join(sorted(PRESETS))}")
    p.add_argument("--out", metavar="OUT", action=Once,
                   help="write the calibrated device model JSON to OUT ('-' for stdout)")
    p.set_defaults(run=cmd_calibrate)

    p = _command(sub, "demo", "plan a realistic integrator's buffers",
                 "planner demo --method dirk --json demo-plan.json --save-problem demo-problem.json",
                 "Plan the buffers of a batch integrator (loop, step, and for dirk Newton and a linear "
                 "solver; see planner/demo.py) and compare the three planners.")
    p.add_argument("--method", choices=("dirk", "tsit5"), default="dirk",
                   help="dirk: loop > 4-stage ESDIRK > Newton > BiCGStab (default); tsit5: loop > 7-stage explicit RK")
    _solver(p)
    _overrides(p, capacity=False)
    p.add_argument("--json", metavar="OUT", action=Once, help="write the chosen planner's Plan JSON to OUT")
    p.add_argument("--save-problem", metavar="OUT", action=Once,
                   help="write the demo's PlanningProblem JSON to OUT")
    p.set_defaults(run=cmd_demo)
    parser.commands = tuple(sub.choices)  # options given before one of them: _refuse_options_before_command
    return parser


def main(argv=None):
    """Run the command line; returns the exit code."""
    csv, out = False, _Stdout(sys.stdout)
    try:
        args = build_parser().parse_args(argv)
        csv = files.is_csv(getattr(args, "problem", None) or "")
        code = args.run(args, out)
        out.flush()  # a closed pipe or a full disk shows here, inside the handlers, not at exit
        out.commit()  # the output files replace the old ones only now: a failed run leaves them untouched
        return code
    except BrokenPipeError:
        return _closed_stdout()
    except StdoutError as exc:
        silence_stdout()  # what stays buffered would fail again at exit
        return _fail(str(exc))
    except PlanError as exc:
        return _fail(f"the plan fails rule {exc}", code=1)
    except (PlannerError, ValueError) as exc:
        return _fail(command_line_spelling(str(exc), csv))
    except OSError as exc:
        return _fail(os_error_message(exc))
    except KeyboardInterrupt:
        return _fail("interrupted", code=130)
    finally:
        out.discard()


def silence_stdout():
    """Point stdout at /dev/null, so that the interpreter's flush at exit does not fail (and print) again
    after a write to it failed (also ``bufferplan``'s)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (captured output)
        pass


def _closed_stdout():
    """The reader of stdout went away (``planner demo | head -1``): end quietly, as Unix tools do.

    Exit code 141 (128 + SIGPIPE), the status a shell reports for a tool ended by a closed pipe.
    """
    silence_stdout()
    return 141


def _fail(message, code=2):
    print("planner: error: " + " ".join(str(message).split()), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
