"""Pulses written in the rhs as a function of t, which a step can pass over unseen: read, and warned of.

``stim = 25.0 if 1010.0 <= t < 1012.0 else 0.0`` in a membrane's rhs, no save time near it: radau, rodas5p,
kvaerno5, tsit5 and dop853 all stepped over the 2-ms stimulus and ended 1e8 tolerances off with status success and
no word, where the same pulse given as ``drivers=`` drew a SamplingWarning (:mod:`kernels.driver_switches`; a
cardiac electrophysiologist's trial).  So the rhs's source is read, never run: each value it writes into an array
(``dydt[0] = ...``) is followed back to its time argument (its first parameter, whatever its name) through locals,
branches, loops, arithmetic, library functions (:mod:`kernels.time_pieces`, the algebra of a value in t whose
jumps are the switches) and the helper functions t is passed to, with the numbers read from the module or closure.
Two consecutive switches bound a window (a pulse, or the gap of a pulse train).  One
:class:`kernels.SamplingWarning` a call names the first window that lies between two consecutive landing points
(t0, the save times, the end) with ``dt_max`` not below its width, or, with fixed steps, whose ends the step grid
does not both land on.  A lone switch (``1.0 if t < 1.0 else -1.0``) says nothing: error control sees a step across
it.  Switch times that depend on params or on a form not followed warn, unless ``dt_max`` is finite, that they could
not be read.  A function without readable source (a symbolic system's) is skipped.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import logging
import math
import os
import types
import weakref

import numpy as np

from .compile_hints import LIBRARY_MODULES
from .driver_switches import fixed_landings  # the fixed-step grid, as the drivers' check lands on it
from .errors import SamplingWarning, warn_user
from .literals import own_definition
from .module_origin import shadows_stdlib, top_level
from .time_pieces import (FREE, Form, Pieces, applied, arithmetic, comparison, known, logic, mixed, not_, number,
                          switches, timed, truth, where, with_line)

__all__ = ["time_switches", "hidden_windows", "warn_time_branches"]

DEPTH = 2  # helper calls followed below the rhs
UNROLLED = 64  # a loop over at most this many known values is read once per value
_PATH = "<path>"  # the env's entry for the branch a statement is under (the helpers called there inherit it)
_PURE = {"math", "numpy", "builtins", "cmath"}  # modules whose functions of numbers are called to read a number
_LIBRARIES = LIBRARY_MODULES | {"kernels", "planner"}  # modules whose functions are not helpers to follow
_log = logging.getLogger(__name__)


_CACHE = weakref.WeakKeyDictionary()


def _definition(func):
    """``(function, def node, code)`` of ``func``'s own source (:func:`kernels.literals.own_definition`), kept per
    function: a solve in a loop reads it once."""
    func = getattr(func, "py_func", func)
    if not isinstance(func, types.FunctionType):
        return None
    if func not in _CACHE:
        _CACHE[func] = own_definition(func)
    return _CACHE[func]


class _Reader:
    """One function's statements in source order, each local name's :class:`Form` as it is bound, and the values
    it writes into arrays (``stores``: ``(where, form, its branch as a 0/1 form)``, once each time a write is read:
    a loop read once per value records each) or returns."""

    def __init__(self, func, node, code, span, depth, stores):
        self.func, self.span, self.depth, self.stores = func, span, depth, stores
        self.file, self.first = code.co_filename, code.co_firstlineno - 1
        self.closure = dict(zip(code.co_freevars, (_cell(c) for c in func.__closure__ or ())))
        self.returns = []

    def line(self, node):
        """``(file, line)`` of ``node`` in this function's file."""
        return self.file, node.lineno + self.first

    # -- values ------------------------------------------------------------------------------------------------
    def static(self, node, env):
        """The Python value a name or attribute chain reads from the module, closure or builtins (not a local);
        None where there is none."""
        chain = []
        while isinstance(node, ast.Attribute):
            chain.insert(0, node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id in env:
            return None
        value = self.closure.get(node.id, self.func.__globals__.get(node.id, getattr(builtins, node.id, None)))
        for attribute in chain:
            try:
                value = (getattr(value, attribute, None) if isinstance(value, types.ModuleType)
                         else inspect.getattr_static(value, attribute, None))
            except Exception:  # noqa: BLE001 - an attribute that cannot be read statically is not read
                return None
        return value

    def number(self, value):
        """A finite real number as a constant over the span; anything else as free of t."""
        return number(value, self.span)

    def value(self, node, env):
        """The :class:`Form` of the expression ``node``."""
        if isinstance(node, ast.Constant):
            return self.number(node.value)
        if isinstance(node, ast.Name) and node.id in env:
            return env[node.id]
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self.number(self.static(node, env))
        if isinstance(node, ast.BinOp):
            result = arithmetic(node.op, self.value(node.left, env), self.value(node.right, env))
            return with_line(result, self.line(node)) if isinstance(node.op, ast.Mod) else result
        if isinstance(node, ast.UnaryOp):
            operand = self.value(node.operand, env)
            if isinstance(node.op, ast.Not):
                return not_(operand)
            return arithmetic(ast.Mult(), operand, self.number(-1.0)) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Compare):
            return comparison([self.value(n, env) for n in [node.left, *node.comparators]], node.ops, self.line(node))
        if isinstance(node, ast.BoolOp):
            return logic([self.value(v, env) for v in node.values], isinstance(node.op, ast.And))
        if isinstance(node, ast.IfExp):
            test = with_line(truth(self.value(node.test, env)), self.line(node))
            return where(test, self.value(node.body, env), self.value(node.orelse, env))
        if isinstance(node, ast.Subscript):
            return self.subscript(node, env)
        if isinstance(node, ast.Call):
            return self.call(node, env)
        return FREE

    def subscript(self, node, env):
        """An element of an array: a number of a module's or closure's tuple at a known index (or at an index that
        is a known step function of t); else the switches of the index."""
        index = self.value(node.slice, env)
        if not timed(index):
            container = self.static(node.value, env)
            if isinstance(container, (tuple, list, np.ndarray)) and known(index) is not None:
                try:
                    return self.number(container[int(known(index))])
                except (IndexError, TypeError, ValueError):
                    return FREE
            return FREE
        return mixed([index], math.inf, [self.line(node)])

    def call(self, node, env):
        """A call: a library function whose switches are read (:func:`kernels.time_pieces.applied`), a helper of the
        user's that t is passed to (read :data:`DEPTH` calls down), a NumPy or math function of numbers, a cast."""
        callee = self.static(node.func, env)
        args = [self.value(a, env) for a in node.args]
        result = applied(callee, args, self.line(node))
        if result is not None:
            return result
        helper = getattr(callee, "py_func", callee)
        if isinstance(helper, types.FunctionType) and not _library(helper) and self.depth < DEPTH:
            return self.follow(helper, node, env)
        if args and all(known(a) is not None for a in args) and \
                top_level(getattr(callee, "__module__", None)) in _PURE:
            try:
                return self.number(callee(*(known(a) for a in args)))
            except Exception:  # noqa: BLE001 - a call that fails on numbers is not read
                return FREE
        if isinstance(callee, type) and issubclass(callee, (float, np.floating)) and len(args) == 1:
            return args[0]  # a cast, np.float64(t)
        return mixed(args, math.inf) if any(timed(a) for a in args) else FREE

    def follow(self, helper, node, env):
        """The value a helper returns, its writes recorded, its parameters bound to the forms passed."""
        found = _definition(helper)
        if found is None:
            return mixed([self.value(a, env) for a in node.args], math.inf)
        func, definition, code = found
        names = list(code.co_varnames[:code.co_argcount])
        bound = {name: FREE for name in names}
        bound.update(zip(names, (self.value(a, env) for a in node.args)))
        bound.update((k.arg, self.value(k.value, env)) for k in node.keywords if k.arg in bound)
        reader = _Reader(func, definition, code, self.span, self.depth + 1, self.stores)
        if isinstance(definition.body, list):
            reader.block(definition.body, bound, env.get(_PATH))
        else:
            reader.returns.append((reader.value(definition.body, bound), None))
        result = None
        for value, path in reversed(reader.returns):  # the first return reached gives the value
            result = value if result is None or path is None else where(path, value, result)
        return FREE if result is None else result

    # -- statements --------------------------------------------------------------------------------------------
    def block(self, body, env, path):
        """Read ``body`` under the branch ``path`` (a 0/1 form, None at the top); ``env`` is updated in place.
        After an ``if`` whose one branch returns, the rest runs under the other branch."""
        for statement in body:
            env[_PATH] = path
            if isinstance(statement, ast.If):
                test = truth(self.value(statement.test, env), self.line(statement))
                inner, outer = _both(path, test), _both(path, not_(test))
                taken, other = dict(env), dict(env)
                self.block(statement.body, taken, inner)
                self.block(statement.orelse, other, outer)
                if _ends(statement.body) and not _ends(statement.orelse):
                    env.update(other)
                    path = outer
                elif _ends(statement.orelse) and not _ends(statement.body):
                    env.update(taken)
                    path = inner
                else:
                    for name in (set(taken) | set(other)) - {_PATH}:
                        if taken.get(name) is not other.get(name):  # bound in a branch: it switches with the test
                            env[name] = where(test, taken.get(name, FREE), other.get(name, FREE))
            elif isinstance(statement, (ast.For, ast.While)):
                self.loop(statement, env, path)
            else:
                self.simple(statement, env, path)
        env[_PATH] = path

    def simple(self, statement, env, path):
        """An assignment, a return, an expression (a helper's call), or a block of another kind, read in order."""
        if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and statement.value is not None:
            value = self.value(statement.value, env)
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                if isinstance(statement, ast.AugAssign):
                    old = env.get(target.id, FREE) if isinstance(target, ast.Name) else FREE
                    value = arithmetic(statement.op, old, value)
                self.bind(target, statement.value, value, env, path)
        elif isinstance(statement, ast.Return) and statement.value is not None:
            self.returns.append((self.value(statement.value, env), path))
        elif isinstance(statement, ast.Expr):
            self.value(statement.value, env)
        elif isinstance(statement, (ast.With, ast.Try)):
            for part in ("body", "handlers", "orelse", "finalbody"):
                for item in getattr(statement, part, []):
                    self.block(item.body if isinstance(item, ast.ExceptHandler) else [item], env, path)

    def bind(self, target, node, value, env, path):
        """Bind a local name, or record a write into an array with its branch."""
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            parts = node.elts if isinstance(node, (ast.Tuple, ast.List)) and len(node.elts) == len(target.elts) \
                else [None] * len(target.elts)
            for item, part in zip(target.elts, parts):
                self.bind(item, part, value if part is None else self.value(part, env), env, path)
        elif isinstance(target, ast.Subscript):
            self.stores.append(((self.file, target.lineno + self.first, len(self.stores)), value, path))

    def loop(self, statement, env, path):
        """A loop over at most :data:`UNROLLED` known numbers is read once per number; any other twice, the second
        time with what the first bound mixed in (an accumulator)."""
        values = self.unrolled(statement, env) if isinstance(statement, ast.For) else None
        if values is not None:
            for value in values:
                self.bind(statement.target, None, self.number(value), env, path)
                self.block(statement.body, env, path)
            return
        if isinstance(statement, ast.For):
            self.bind(statement.target, None, mixed([self.value(statement.iter, env)], math.inf), env, path)
        else:
            path = _both(path, truth(self.value(statement.test, env), self.line(statement)))
        for _ in range(2):
            before = dict(env)
            self.block(statement.body, env, path)
            for name in set(env) - {_PATH}:
                if env[name] is not before.get(name):
                    env[name] = mixed([before.get(name, FREE), env[name]], math.inf)

    def unrolled(self, statement, env):
        """The numbers a ``for`` loop runs over, where known and few: ``range`` of known ints, or a module's or
        closure's tuple, list or array of numbers."""
        iterable = statement.iter
        if isinstance(iterable, ast.Call) and self.static(iterable.func, env) is range:
            bounds = [self.value(a, env) for a in iterable.args]
            if all(known(b) is not None for b in bounds):
                try:
                    values = range(*(int(known(b)) for b in bounds))
                except (TypeError, ValueError):
                    return None
                return values if len(values) <= UNROLLED else None
            return None
        container = self.static(iterable, env)
        if isinstance(container, (tuple, list, np.ndarray)) and 0 < len(container) <= UNROLLED:
            return list(np.asarray(container, dtype=np.float64).ravel()) if np.asarray(container).dtype.kind in "iuf" \
                else None
        return None


def _both(path, test):
    """The branch ``test`` taken inside the branch ``path`` (None: the function's top)."""
    return test if path is None else logic([path, test], True)


def _ends(body):
    """Whether a branch's statements end by leaving it (return, raise, continue, break)."""
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break))


def _cell(cell):
    """A closure cell's value; None for an empty cell."""
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


def _library(func):
    """Whether ``func`` is library code (NumPy, math, this package), not a helper of the user's to follow."""
    module = getattr(func, "__module__", None)
    return top_level(module) in _LIBRARIES and not shadows_stdlib(module)


# -- the reading -----------------------------------------------------------------------------------------------------
def time_switches(func, span):
    """The switches of each value ``func`` (an rhs: its first parameter is the time) writes into an array, over
    ``span`` = ``(t0, t_end)``: a list of ``(times, unknown, lines)``, ``times`` the switch times read exactly strictly
    inside the span (sorted), ``unknown`` how many more lie at times not read, ``lines`` the ``(file, line)`` of the
    branches; only values with two switches or more (a lone switch is no pulse).  [] where the source cannot be
    read.  Kept per function and span (a system refuses a solve after a global it reads changed)."""
    found = _definition(func)
    if found is None or not isinstance(found[1].body, list) or not found[2].co_argcount:
        return []
    span = (float(span[0]), float(span[1]))
    memo = _FOUND.setdefault(found[0], {})
    if span not in memo:
        if len(memo) >= 16:  # a solve in a loop over spans: all go, the memo stays small
            memo.clear()
        memo[span] = _read(*found, np.array(span))
    return memo[span]


_FOUND = weakref.WeakKeyDictionary()


def _read(func, node, code, span):
    """:func:`time_switches` read afresh."""
    names = list(code.co_varnames[:code.co_argcount])  # the positional parameters (co_argcount counts the /-only)
    env = dict.fromkeys(names, FREE)
    env[names[0]] = Form(Pieces.line(span, 1.0, 0.0))
    stores = []
    try:
        _Reader(func, node, code, span, 0, stores).block(node.body, env, None)
    except Exception:  # noqa: BLE001 - a form the reading trips on must not stop a solve: it is a check, not a step
        _log.debug("the time branches of %s were not read", code.co_name, exc_info=True)
        return []
    tol = 1e-12 * max(abs(span[0]), abs(span[1]), span[1] - span[0])
    found = []
    for _, value, path in sorted(stores, key=lambda store: store[0]):
        branch = FREE if path is None else path  # a write at the top runs throughout
        (times, unknown), (more, unread) = switches(value), switches(branch)
        times = np.union1d(times, more)
        times = times[(times > span[0] + tol) & (times < span[1] - tol)]
        if times.size + unknown + unread >= 2:
            found.append((times, unknown + unread, value.lines | branch.lines))
    return found


# -- the rule --------------------------------------------------------------------------------------------------------
def _hidden(times, t0, reached, t_eval, dt_max=np.inf, fixed_dt=None):
    """``(starts, ends)`` of the windows between two consecutive switch ``times`` that a step can pass over, the
    shortest first (the earliest of equals first).  An adaptive step need
    land only on ``t0``, ``t_eval`` and ``reached``: a window is hidden where none of these lies in it and ``dt_max``
    is not below its width.  A fixed step of ``fixed_dt`` lands on its grid, restarted at each save time: a window
    is hidden where the grid does not land on both its ends (one shorter than dt can be passed over whole; across
    a longer one's edge a step keeps an error of order dt)."""
    times = np.asarray(times, np.float64)
    if times.size < 2:
        return None
    start, end = times[:-1], times[1:]
    saves = np.asarray(t_eval, np.float64).ravel()
    landings = np.union1d(saves[(saves >= t0) & (saves <= reached)], [t0, reached])
    # a landing counts within rounding (1e-6 of the window, or of dt): one a little before the start still lets the
    # next step pass over the window
    scale = end - start if fixed_dt is None else np.minimum(end - start, fixed_dt)
    tol = np.maximum(1e-6 * scale, 64.0 * np.finfo(np.float64).eps * np.maximum(abs(start), abs(end)))
    if fixed_dt is None:
        after = np.append(landings, np.inf)[np.searchsorted(landings, start - tol)]  # the first landing from start
        hidden = (after > end + tol) & (end - start <= dt_max)
    else:
        on_grid = [np.abs(fixed_landings(ends, landings, fixed_dt) - ends) <= tol for ends in (start, end)]
        hidden = ~(on_grid[0] & on_grid[1])
    order = np.argsort(np.where(hidden, end - start, np.inf)[hidden], kind="stable")
    return start[hidden][order], end[hidden][order]


def hidden_windows(times, t0, reached, t_eval, dt_max=np.inf, fixed_dt=None):
    """``(start, end, count)``: the shortest window between two consecutive switch ``times`` that a step can pass
    over (:func:`_hidden`; the earliest of the shortest), and how many there are; None where there is none."""
    starts, ends = _hidden(times, t0, reached, t_eval, dt_max, fixed_dt)
    return (float(starts[0]), float(ends[0]), int(starts.size)) if starts.size else None


def warn_time_branches(system, t0, reached, t_eval, dt=None, adaptive=True, dt_max=np.inf, at=None):
    """:class:`kernels.SamplingWarning`, once, where the rhs of ``system`` switches on t (:func:`time_switches`)
    and a window between two switches can be passed over by a step (:func:`hidden_windows`); or, adaptive with
    ``dt_max`` not finite, where its switch times could not be read.  Fixed steps without ``dt`` say nothing, nor
    do unread switches of a fixed-step run (no step bound would silence the warning)."""
    if not adaptive and dt is None:
        return
    found = time_switches(system.rhs, (t0, reached))
    for times, unknown, lines in found:
        window = None if unknown else _confirmed(system, at, *_hidden(times, t0, reached, t_eval, dt_max,
                                                                       None if adaptive else dt))
        if window is not None:
            warn_user(_hidden_message(system, lines, window, t0, reached, t_eval, dt, adaptive, dt_max),
                      SamplingWarning)
            return
    unread = [lines for _, unknown, lines in found if unknown]
    if unread and adaptive and not math.isfinite(dt_max):
        warn_user(f"rhs of system {system.name!r} switches on t at {_located(unread[0])}, at times this check could "
                  "not read (they depend on params or states, or on a form it does not follow), so it cannot tell "
                  "whether a pulse lies between two save times: a step longer than a pulse steps over it unseen, and "
                  "the run then ends with status success, the pulse missed. " + _REMEDIES
                  + ", or set dt_max below the shortest pulse width (a finite dt_max also silences this warning).",
                  SamplingWarning)


#: Hidden windows whose edges are checked for a jump of the rhs itself (:func:`_confirmed`), shortest first.
CONFIRMED_MAX = 64


def _confirmed(system, at, starts, ends):
    """``(start, end, count)`` of the first of the hidden windows ``starts``/``ends`` at whose start or end the rhs
    itself jumps, with ``at`` (a row's ``(y, p)``; None: every window counts), or None.  The reading lists where a
    value it follows is cut (``t % P``, ``floor``, ``int``), and a value computed from it can be continuous there:
    ``sin(2 pi (t % 24) / 24)``, an hour of the day, a hand-written interpolation ``H[i] (1 - f) + H[i + 1] f`` with
    ``i = int(t)`` drew the pulse warning (a regression hunt).  A jump changes dydt by as much at two increments 100
    apart; a continuous value by 100 times less at the smaller.  Only the :data:`CONFIRMED_MAX` shortest are
    checked (a few rhs calls each); ``count`` is the number of hidden windows found."""
    if not starts.size:
        return None
    if at is None:
        return float(starts[0]), float(ends[0]), int(starts.size)
    y, p = at
    for a, b in list(zip(starts, ends))[:CONFIRMED_MAX]:
        if _jumps(system, a, y, p, b - a) or _jumps(system, b, y, p, b - a):
            return float(a), float(b), int(starts.size)
    return None


def _jumps(system, t, y, p, width):
    """Whether ``rhs(t, y, p)`` jumps at ``t``: its change across ``t`` at increments of 1e-4 and 1e-6 of ``width``
    (at least 1e3 ulps of ``t``) differs by less than 10 times and is no rounding (an rhs that fails there: True)."""
    try:
        with np.errstate(all="ignore"):
            changes, scale = [], 0.0
            for share in (1e-4, 1e-6):
                h = max(share * width, 1e3 * np.spacing(abs(t)))
                after = system.evaluate_rhs(t + h, y, p)
                changes.append(np.max(np.abs(after - system.evaluate_rhs(t - h, y, p))))
                scale = max(scale, float(np.max(np.abs(after))))
    except Exception:  # noqa: BLE001 - the rhs's own failures are the other checks' to report
        return True
    wide, narrow = changes
    return bool(np.isfinite(wide) and wide > 1e-12 * max(scale, 1e-300) and narrow * 10.0 > wide)


_REMEDIES = ("Put each pulse's start and end times in t_eval (steps land on save times), or give the stimulus as "
             "drivers= (their switches are checked)")


def _hidden_message(system, lines, window, t0, reached, t_eval, dt, adaptive, dt_max):
    """The warning for the hidden ``window`` (:func:`hidden_windows`' triple) of the switches at ``lines``."""
    a, b, count = window
    more = f"; {count} such windows in all" if count > 1 else ""
    head = (f"rhs of system {system.name!r} switches on t at {_located(lines)}: it changes at t = {a:.10g} and again "
            f"at t = {b:.10g}, a window {b - a:.3g} long")
    example = f"e.g. t_eval = np.union1d(t_eval, [{a:.10g}, {b:.10g}])"
    if adaptive:
        saves = np.union1d(np.asarray(t_eval, np.float64), [t0, reached])
        before, after = saves[saves < a].max(initial=t0), saves[saves > b].min(initial=reached)
        bound = "dt_max is not set" if not math.isfinite(dt_max) else f"dt_max = {dt_max:.6g} is not below it"
        return (f"{head} with no save time in it (the nearest are t = {before:.10g} and {after:.10g}){more}, and "
                f"{bound}: a step longer than the pulse steps over it unseen, and the run then ends with status "
                f"success, the pulse missed (a 2-ms stimulus so written was missed by every adaptive method, 1e8 "
                f"tolerances off). {_REMEDIES}, or set dt_max below the pulse width ({b - a:.3g}); {example}.")
    passes = ("it is shorter than dt, so a step can pass over it whole" if b - a < dt else
              "each step across an edge keeps an error of order dt (the method's order falls to 1)")
    return (f"{head}, whose ends the fixed steps of dt = {dt:.6g} do not both land on{more}: {passes}, and the "
            f"run ends with status success all the same. Give the stimulus as drivers= with short ramps (their "
            f"switches are checked, and a step meets a ramp, not a jump), or put each pulse's start and end times in "
            f"t_eval (fixed steps restart at each save time, so they land there; {example}).")


def _located(lines):
    """Where the switches at ``lines`` (``(file, line)`` pairs) are written: the first line, with its text."""
    if not lines:
        return "a line of its source"
    file, line = min(lines)
    text = linecache.getline(file, line).split("  #")[0].strip()  # without an inline comment
    others = sorted(n for f, n in lines if (f, n) != (file, line))
    also = f" (and line{'s' if len(others) > 1 else ''} {', '.join(map(str, others[:3]))})" if others else ""
    return f"line {line} of {os.path.basename(file)}{f' ({text[:80]})' if text else ''}{also}"
