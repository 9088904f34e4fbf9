"""The ``planner`` command's input and output: problems read with the command-line overrides, output paths
checked before anything runs, files written atomically once stdout took everything, stdout whose failures are
named, and the library's messages in the command line's terms."""

import argparse
import contextlib
import json
import os
import re
import stat
import sys
import tempfile

from . import csvio as files
from .csvio import CAPACITY_LIMIT, check_capacity, staged_write
from .device import get_device
from .errors import ConfigurationError
from .solve import MIN_REGISTER_CAP, check_max_registers


class Once(argparse.Action):
    """An output option that may be given once: a second ``--json`` silently replaced the first file."""

    def __call__(self, parser, namespace, values, option_string=None):
        given = getattr(namespace, self.dest, None)
        if given is not None:
            raise argparse.ArgumentError(self, f"expected once (one file); got it twice, {given!r} and "
                                               f"{values!r}; give {option_string} once")
        setattr(namespace, self.dest, values)


def command_line_spelling(message, csv=False):
    """A planner message as the command line says it: the API's ``time_limit_s`` is ``--time-limit``, and for a
    MiniMalloc CSV, whose format pins every buffer shared, the advice to pin buffers local is ``--capacity``."""
    message = re.sub(r"\btime_limit_s\b", "--time-limit", message)
    if csv:  # the CSV's capacity is the command line's: raising --capacity is the one remedy (a CLI user's trial)
        message = re.sub(r": raise it to at least (\d+), leave it out to derive it from the device, or pin some "
                         r"buffers local", r": raise --capacity to at least \1", message)
        message = re.sub(r",? or pin some buffers local\b", ", or give the buffers more room with --capacity",
                         message)
    return message


def _respell(exc, csv):
    """``exc`` with its message in the command line's terms (the same exception: its type is its status)."""
    if len(exc.args) == 1 and isinstance(exc.args[0], str):
        exc.args = (command_line_spelling(exc.args[0], csv),)
    return exc


def load_problem(path, args, what="PROBLEM"):
    """A PlanningProblem from a JSON problem or a MiniMalloc CSV, with the command-line overrides.

    ``what`` names the argument in messages (``PROBLEM``, or ``--problem`` for verify and explain).
    """
    refuse_stdin(path, what, "problem")
    if files.is_csv(path) and getattr(args, "objective", None) == "auto":
        raise ConfigurationError(
            f"--objective auto: expected a kernel's problem (JSON), whose buffers it decides to keep local or share; "
            f"got a MiniMalloc CSV ({os.path.basename(path)}), whose buffers all go in the one arena, so there is "
            "nothing for it to decide; drop --objective (a CSV is planned to fit its capacity)")
    if args.capacity is not None and args.capacity >= CAPACITY_LIMIT:  # below 0: the problem's own message
        check_capacity(args.capacity, "--capacity")
    try:
        problem = files.load_problem(path, capacity=args.capacity, overrides=overrides(args))
    except ConfigurationError as exc:  # the constructor's check_launchable names the capacity as the API does
        if args.capacity is None or not (str(exc).startswith("shared_capacity: ") and "B per block" in str(exc)):
            raise
        raise ConfigurationError(str(exc).replace("shared_capacity", "--capacity")) from None
    if not files.is_csv(path) or args.block_size is not None:
        warp_note(problem)
    return problem


def refuse_stdin(path, what, kind):
    """ConfigurationError for ``-`` as an input file: it said "cannot access '-': No such file or directory",
    as if a file named '-' were missing, where the user meant standard input, which is not read."""
    if path == "-":
        raise ConfigurationError(f"{what} '-': reading the {kind} from standard input is not supported; give the "
                                 f"{kind} file's path")


def warp_note(problem):
    """A note on stderr when the block size is not a whole number of warps."""
    warp = problem.device.warp_size
    if problem.block_size % warp:
        idle = warp - problem.block_size % warp
        print(f"planner: note: block size {problem.block_size} is not a multiple of {warp}: threads are scheduled "
              f"in warps of {warp}, so each block's last warp runs with {idle} idle lanes (and occupancy counts "
              "whole warps)", file=sys.stderr)


def check_outputs(outputs, inputs=(), stdout=True):
    """ConfigurationError, before any work, unless each output path can be written and is no input.

    ``outputs`` and ``inputs`` are ``(option, path)`` pairs; ``-`` (stdout) and None are skipped
    (``stdout``: whether the options take ``-``, as the empty name's message then says).
    An output must not be an empty name (``--json ""``: nothing would be written) or a folder, its folder
    must exist and take new files, and it must not name an input file or another output. A symbolic link
    is checked at the file it names; an existing path that is no regular file (``/dev/stdout``, a FIFO)
    need only be writable: it is written through.
    """
    _check_one_stdout(outputs)
    seen = {}
    for flag, path in outputs:
        if path in (None, "-"):
            continue
        if not path:
            dash = " (or '-' for stdout)" if stdout else ""
            raise ConfigurationError(f"{flag} {path!r}: expected a file name{dash}, got an empty one, to which "
                                     "nothing can be written; give a file name")
        if os.path.isdir(path):
            raise ConfigurationError(f"{flag} {path!r} is a directory; give a file name "
                                     f"(like {os.path.join(path, 'out.json')!r})")
        _check_trailing_separator(flag, path)
        if _is_special(path):
            if not os.access(path, os.W_OK):
                raise ConfigurationError(f"cannot write {path!r}: it is not writable")
        else:
            _check_folder(path)
        for in_flag, source in inputs:
            if source is not None and _same_file(source, path):
                raise ConfigurationError(f"{flag} {path!r} is the same file as the input {in_flag} {source!r}; "
                                         "writing it would overwrite the input; give another file name")
        key = os.path.realpath(path)
        if key in seen:
            raise ConfigurationError(f"{flag} {path!r} and {seen[key][0]} {seen[key][1]!r} are the same file; "
                                     "give each output its own file name")
        seen[key] = (flag, path)


def _check_one_stdout(outputs):
    """ConfigurationError when two outputs go to standard output (``--json - --save-problem -``, or ``-`` beside
    ``/dev/stdout``): two JSON documents one after the other, which no reader parses, and exit 0."""
    stdout = os.path.realpath("/dev/stdout") if os.path.exists("/dev/stdout") else None
    stdout = None if stdout == os.devnull else stdout  # ``> /dev/null``: what lands there twice is harmless
    users = [(flag, path) for flag, path in outputs
             if path == "-" or (path and stdout and os.path.realpath(path) == stdout)]
    if len(users) > 1:
        named = " and ".join(f"{flag} {path!r}" for flag, path in users)
        raise ConfigurationError(f"{named} would both write to standard output; give standard output to one "
                                 "of them at most, and the other a file name")


def _check_trailing_separator(flag, path):
    """ConfigurationError for an output name ending in '/' that is no folder (``--json newdir/``): the write
    failed after solving with "Not a directory", saying nothing of the missing folder."""
    if not path.endswith(("/", os.sep)) or os.path.isdir(path):
        return
    folder = path.rstrip("/" + os.sep) or path
    if os.path.exists(folder):
        raise ConfigurationError(f"{flag} {path!r} names a folder (it ends in '/'), but {folder!r} is a file; "
                                 f"give a file name without the trailing '/' (like {folder!r})")
    raise ConfigurationError(f"{flag} {path!r} names a folder (it ends in '/'), and the folder {folder!r} does not "
                             f"exist; give a file name (like {os.path.join(folder, 'out.json')!r}, after creating "
                             "the folder)")


def _is_special(path):
    """Whether ``path`` exists (through links) and is no regular file: a device, a FIFO, a socket."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _check_folder(path):
    """ConfigurationError unless a new file can be made in the folder of ``path`` (of its link's target)."""
    target = os.path.realpath(path) if os.path.islink(path) else path
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise ConfigurationError(f"cannot access {path!r}: No such file or directory (the folder {folder!r} "
                                 "does not exist; create it first)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigurationError(f"cannot write {path!r}: the folder {folder!r} is not writable")
    try:  # the write goes through a temporary file there: some folders (/proc, read-only mounts) take none
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".planner-", suffix=".tmp")
    except OSError as exc:
        raise ConfigurationError(f"cannot create {path!r}: the folder {folder!r} exists but no file can be "
                                 f"created in it ({exc.strerror})") from None
    os.close(fd)
    os.unlink(probe)


def _same_file(a, b):
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def goal_for(path, args):
    """The CP-SAT goal: --goal, else "fit" for a MiniMalloc CSV (its capacity is the bar) and "min-peak"."""
    if getattr(args, "goal", None):
        return args.goal
    return "fit" if files.is_csv(path) else "min-peak"


def register_count(text):
    """A --max-registers value: an integer (else a usage error naming the option); its range, which depends on
    the device, is :func:`check_register_cap`'s once the problem is read."""
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer number of registers a thread (from "
                                         f"{MIN_REGISTER_CAP} to the device's most, 255 on the presets), "
                                         f"got {text!r}") from None


def check_register_cap(args, problem):
    """ConfigurationError unless ``--max-registers`` (``args.max_registers``; None: not given) suits ``problem``:
    ``planner.solve``'s own check (:func:`planner.solve.check_max_registers`) in the command line's terms, run
    before any output is checked or any planner runs."""
    source = f"--objective {problem.objective}" if getattr(args, "objective", None) else None
    check_max_registers(problem, getattr(args, "max_registers", None), "--max-registers", source,
                        "or add --objective auto")


def overrides(args):
    """The problem fields the command line's options replace (``--device``, ``--block-size``, ``--min-blocks``,
    ``--objective``)."""
    changes = {}
    if getattr(args, "objective", None) is not None:
        changes["objective"] = args.objective
    if args.device is not None:
        changes["device"] = get_device(args.device)
    if args.block_size is not None:
        changes["block_size"] = args.block_size
    if args.min_blocks is not None:
        changes["min_blocks_per_sm"] = args.min_blocks
    return changes


def apply_overrides(problem, args):
    changes = overrides(args)
    return problem.replace(**changes) if changes else problem


class StdoutError(Exception):
    """A write to standard output failed (a full disk): the OSError carries no file name to report."""


class _Stdout:
    """``sys.stdout`` whose failed writes say that it was standard output that could not be written
    (a closed pipe stays a BrokenPipeError: that ends quietly), and the command's output files.

    A file is written to a temporary beside it when the command saves it (:meth:`save`: a full disk shows
    then), and renamed over the old one by :meth:`commit` only once standard output took everything: a run
    that fails, writing standard output included, leaves an existing file untouched (``> /dev/full`` replaced
    it until 2026-12-05: a user's trial). :meth:`discard` removes what was not committed.
    """

    def __init__(self, stream):
        self.stream, self.staged = stream, []

    def save(self, path, data):
        """Write ``data`` (text, bytes, or ``write(handle)``) to ``path`` at :meth:`commit`; ``-`` is stdout, now."""
        if path == "-":
            self.write(data)
        else:
            self.staged.append(staged_write(path, data.encode() if isinstance(data, str) else data))

    def commit(self):
        for staged in self.staged:
            staged.commit()

    def discard(self):
        for staged in self.staged:
            staged.discard()

    def write(self, text):
        with _naming_stdout():
            return self.stream.write(text)

    def flush(self):
        with _naming_stdout():
            self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


@contextlib.contextmanager
def _naming_stdout():
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise StdoutError(f"cannot write standard output: {exc.strerror or exc}") from None


def plan_json_text(plan):
    return json.dumps(plan.to_json(), indent=2) + "\n"
