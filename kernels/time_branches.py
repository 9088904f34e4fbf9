"""Pulses written in the rhs as a function of t, which a step can pass over unseen: read, and warned of.

``stim = 25.0 if 1010.0 <= t < 1012.0 else 0.0`` in a membrane's rhs, no save time near it: radau, rodas5p,
kvaerno5, tsit5 and dop853 all stepped over the 2-ms stimulus and ended 1e8 tolerances off with status success and
no word, where the same pulse given as ``drivers=`` drew a SamplingWarning (:mod:`kernels.driver_switches`; a
cardiac electrophysiologist's trial).  So the rhs's source is read, never run: each value it writes into an array
(``dydt[0] = ...``) is followed back to its time argument (its first parameter, whatever its name) through locals,
branches, loops, arithmetic, library functions (:mod:`kernels.time_pieces`, the algebra of a value in t whose
jumps are the switches) and the helper functions t is passed to, with the numbers read from the module or closure
(``K[i, j]`` at unrolled loop indices too).  A branch's arms that bind a name to different values switch it, values
not read as numbers told apart by their source (:mod:`kernels.time_values`: a swing model's fault window in its
coupling loops was missed).  Two consecutive switches bound a window (a pulse, or the gap of a pulse train).  One
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
import logging
import math
import numbers
import types
import weakref

import numpy as np

from .compile_hints import LIBRARY_MODULES
from .errors import SamplingWarning, warn_user
from .function_source import own_definition
from .module_origin import shadows_stdlib, top_level
from .time_pieces import (FREE, Form, Pieces, active_lines, applied, arithmetic, comparison, known, logic, mixed,
                          not_, number, span_sensitive, switches, timed, tracked, truth, where, with_line)
from .time_values import Unknowns, plain, selected
from .time_windows import confirmed, hidden, hidden_message, hidden_windows, unread_message

__all__ = ["time_switches", "hidden_windows", "warn_time_branches"]

DEPTH = 2  # helper calls followed below the rhs
UNROLLED = 64  # a loop over at most this many known values is read once per value
WIDENING = 32  # a span is read over this many times its width ahead (and one behind): a moving window's next spans
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

    def __init__(self, func, node, code, span, depth, stores, instance=None):
        self.func, self.span, self.depth, self.stores = func, span, depth, stores
        self.file, self.first = code.co_filename, code.co_firstlineno - 1
        self.closure = dict(zip(code.co_freevars, (_cell(c) for c in func.__closure__ or ())))
        self.returns = []
        self.instance = instance  # a method's (name of self, the instance), or None
        self.unknowns = Unknowns()  # a token for each value free of t and not a number a name is bound to

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
        if self.instance is not None and isinstance(node, ast.Name) and node.id == self.instance[0]:
            value = self.instance[1]  # self: its attributes are read as they are now, a method as bound to it
        elif not isinstance(node, ast.Name) or node.id in env:
            return None
        else:
            value = self.closure.get(node.id, self.func.__globals__.get(node.id, getattr(builtins, node.id, None)))
        for attribute in chain:
            owner = value
            try:
                value = (getattr(value, attribute, None) if isinstance(value, types.ModuleType)
                         else inspect.getattr_static(value, attribute, None))
            except Exception:  # noqa: BLE001 - an attribute that cannot be read statically is not read
                return None
            if isinstance(value, types.FunctionType) and not isinstance(owner, (types.ModuleType, type)):
                value = types.MethodType(value, owner)  # an instance's method: followed with self bound
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
            select = selected(node)
            if select is not None:  # x if x > a else a: max(x, a), continuous (a kink, no switch)
                callee, left, right = select
                return applied(callee, [self.value(left, env), self.value(right, env)], self.line(node))
            test = with_line(truth(self.value(node.test, env)), self.line(node))
            return where(test, self.value(node.body, env), self.value(node.orelse, env))
        if isinstance(node, ast.Subscript):
            return self.subscript(node, env)
        if isinstance(node, ast.Call):
            return self.call(node, env)
        return FREE

    def subscript(self, node, env):
        """An element of an array: a number of a module's or closure's tuple, list or array at known indices (``K[i]``,
        ``K[i, j]``, ``K[i][j]``, loop variables unrolled included: a swing model's ``KFAULT[i, j]`` was not read);
        else the switches of the indices."""
        index = [self.value(part, env) for part in _indices(node)]
        if any(timed(part) for part in index):
            return mixed(index, math.inf, [self.line(node)])
        return self.number(_element(self.held(node.value, env), [known(part) for part in index]))

    def held(self, node, env):
        """The Python object a name or attribute chain reads (:meth:`static`), or an element of one at known
        indices (``K[i]`` of ``K[i][j]``); None where there is none."""
        if isinstance(node, ast.Subscript):
            return _element(self.held(node.value, env), [known(self.value(part, env)) for part in _indices(node)])
        return self.static(node, env)

    def call(self, node, env):
        """A call: a library function whose switches are read (:func:`kernels.time_pieces.applied`), a helper of the
        user's that t is passed to (read :data:`DEPTH` calls down), a NumPy or math function of numbers, a cast."""
        callee = self.static(node.func, env)
        args = [self.value(a, env) for a in node.args]
        result = applied(callee, args, self.line(node))
        if result is not None:
            return result
        helper = getattr(callee, "py_func", callee)
        instance = None
        if isinstance(helper, types.MethodType):
            helper, instance = helper.__func__, helper.__self__
        if isinstance(helper, types.FunctionType) and not _library(helper) and self.depth < DEPTH:
            return self.follow(helper, node, env, instance)
        if args and all(known(a) is not None for a in args) and \
                top_level(getattr(callee, "__module__", None)) in _PURE:
            try:
                return self.number(callee(*(known(a) for a in args)))
            except Exception:  # noqa: BLE001 - a call that fails on numbers is not read
                return FREE
        if isinstance(callee, type) and issubclass(callee, (float, np.floating)) and len(args) == 1:
            return args[0]  # a cast, np.float64(t)
        return mixed(args, math.inf) if any(timed(a) for a in args) else FREE

    def follow(self, helper, node, env, instance=None):
        """The value a helper returns, its writes recorded, its parameters bound to the forms passed (a method's
        first, self, to its ``instance``)."""
        found = _definition(helper)
        names = list(found[2].co_varnames[:found[2].co_argcount]) if found is not None else []
        if found is None or (instance is not None and not names):
            return mixed([self.value(a, env) for a in node.args], math.inf)
        func, definition, code = found
        if instance is not None:
            instance, names = (names[0], instance), names[1:]
        bound = {name: FREE for name in names}
        bound.update(zip(names, (self.value(a, env) for a in node.args)))
        bound.update((k.arg, self.value(k.value, env)) for k in node.keywords if k.arg in bound)
        reader = _Reader(func, definition, code, self.span, self.depth + 1, self.stores, instance)
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
                        # bound in a branch: it switches with the test (two unknown values alike only where
                        # :mod:`kernels.time_values` gave them one token: a swing model's fault window)
                        if taken.get(name) is not other.get(name):
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
                self.bind(target, statement if isinstance(statement, ast.AugAssign) else statement.value, value,
                          env, path)
        elif isinstance(statement, ast.Return) and statement.value is not None:
            self.returns.append((self.value(statement.value, env), path))
        elif isinstance(statement, ast.Expr):
            self.value(statement.value, env)
        elif isinstance(statement, (ast.With, ast.Try)):
            for part in ("body", "handlers", "orelse", "finalbody"):
                for item in getattr(statement, part, []):
                    self.block(item.body if isinstance(item, ast.ExceptHandler) else [item], env, path)

    def bind(self, target, node, value, env, path):
        """Bind a local name (a value free of t and not a number to its token for ``node``, the source it is
        computed by: :mod:`kernels.time_values`), or record a write into an array with its branch."""
        if isinstance(target, ast.Name):
            env[target.id] = self.unknowns.named(value, node, env, target.id)
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
            self.bind(statement.target, statement.iter, mixed([self.value(statement.iter, env)], math.inf), env, path)
        else:
            test = truth(self.value(statement.test, env), self.line(statement))
            path = _both(path, test)
        start, first = dict(env), len(self.stores)
        for _ in range(2):
            before = dict(env)
            self.block(statement.body, env, path)
            for name in set(env) - {_PATH}:
                if env[name] is not before.get(name):
                    env[name] = mixed([before.get(name, FREE), env[name]], math.inf)
        if isinstance(statement, ast.While) and (timed(test) or timed(self.value(statement.test, env))):
            self.unfollowed(statement, env, start, first)
        for name in set(env) - {_PATH}:  # what the loop bound: a token of the loop's source and its start's locals
            if env[name] is not start.get(name):
                env[name] = self.unknowns.named(env[name], statement, start, name)

    def unfollowed(self, statement, env, start, first):
        """A ``while`` loop whose test depends on t runs a number of times set by t that the reading does not
        follow (``while n * 24.0 <= t: n += 1`` counted the day, and a pulse in it was missed without a word, a
        regression hunt): what it binds, and the values it writes, switch at times not read."""
        unread = Form(None, frozenset(), math.inf, math.inf, frozenset([self.line(statement)]))
        for name in set(env) - {_PATH}:
            if plain(env[name]) is not plain(start.get(name)):  # a token for FREE counts as FREE, as before
                env[name] = unread
        self.stores[first:] = [(where_, value, unread) for where_, value, _ in self.stores[first:]]

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


def _indices(node):
    """The index expressions of a subscript: ``i, j`` of ``K[i, j]``, ``i`` of ``K[i]``."""
    return node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]


def _element(container, positions):
    """``container[p0][p1]...`` for a tuple, list or array and known ``positions`` (numbers); None where there is
    none (an index not known or out of range, a container of another kind)."""
    for position in positions:
        if not isinstance(container, (tuple, list, np.ndarray)) or position is None:
            return None
        try:
            container = container[int(position)]
        except (IndexError, TypeError, ValueError):
            return None
    return container


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
    """The switches of each value ``func`` (an rhs: its first parameter is the time, after ``self`` for a bound
    method) writes into an array, over ``span`` = ``(t0, t_end)``: a list of ``(times, unknown, lines)``, ``times``
    the switch times read exactly strictly inside the span (sorted), ``unknown`` how many more lie at times not
    read, ``lines`` the ``(file, line)`` of the branches; only values with two switches or more (a lone switch is no
    pulse).  [] where the source cannot be read.  Kept per function and span (a system refuses a solve after a
    global it reads changed; a method's instance is kept with the numbers it holds).  A new span inside the last
    wide reading is cut from it (:func:`_wide`): a 150-branch ``if``/``elif`` rhs solved window by window was read
    afresh at each window (0.27 s a solve, a regression hunt)."""
    instance = None
    if isinstance(func, types.MethodType):
        func, instance = getattr(func.__func__, "py_func", func.__func__), func.__self__
    found = _definition(func)
    argcount = found[2].co_argcount if found is not None else 0
    if found is None or not isinstance(found[1].body, list) or argcount < (2 if instance is not None else 1):
        return []
    span = (float(span[0]), float(span[1]))
    key = (id(instance), _numbers(instance)) if instance is not None else None
    memo = _FOUND.setdefault(found[0], {})
    if (key, span) not in memo:
        if len(memo) >= 16:  # a solve in a loop over spans: all go, the memo stays small
            memo.clear()
        memo[key, span] = _restricted(_wide(found, instance, key, span), span)
    return memo[key, span]


_FOUND = weakref.WeakKeyDictionary()  # function -> {(instance key, span): switches}
_WIDE = weakref.WeakKeyDictionary()  # function -> (instance key, wide span, its reading), or (key, None, None)


def _wide(found, instance, key, span):
    """The reading of ``span``, or of a wider span around it that serves it: read over :data:`WIDENING` times the
    span's width ahead, it serves the later spans inside that too, where the reading made no choice a narrower span
    could make otherwise (:func:`kernels.time_pieces.span_sensitive`); else each span is read on its own."""
    kept = _WIDE.get(found[0])
    if kept is not None and kept[0] == key:
        if kept[1] is None:  # span-sensitive: each span its own
            return _read(*found, np.array(span), instance)
        if kept[1][0] <= span[0] and span[1] <= kept[1][1]:
            return kept[2]
    width = span[1] - span[0]
    if not (width > 0 and math.isfinite(width)):
        return _read(*found, np.array(span), instance)
    wide = (span[0] - width, span[1] + WIDENING * width)
    tracked()
    reading = _read(*found, np.array(wide), instance)
    if span_sensitive() or reading is None:
        _WIDE[found[0]] = (key, None, None)
        return _read(*found, np.array(span), instance)
    _WIDE[found[0]] = (key, wide, reading)
    return reading


def _numbers(instance):
    """The numbers an instance holds (attributes, and arrays of up to :data:`UNROLLED` of them): its method's reading
    is kept while they stay the same."""
    held = []
    for name, value in sorted(getattr(instance, "__dict__", {}).items()):
        if isinstance(value, numbers.Number):
            held.append((name, value))
        elif isinstance(value, (tuple, list, np.ndarray)) and np.size(value) <= UNROLLED:
            try:
                held.append((name, tuple(np.asarray(value, np.float64).ravel().tolist())))
            except (TypeError, ValueError):
                continue
    return tuple(held)


def _read(func, node, code, span, instance=None):
    """The values ``func`` writes over ``span`` read afresh: ``(switch times, unknown count, lines)`` for each (its
    lines where they count, :func:`kernels.time_pieces.active_lines`), the span's ends among the times; None where
    the reading tripped."""
    names = list(code.co_varnames[:code.co_argcount])  # the positional parameters (co_argcount counts the /-only)
    if instance is not None:
        instance, names = (names[0], instance), names[1:]
    env = dict.fromkeys(names, FREE)
    env[names[0]] = Form(Pieces.line(span, 1.0, 0.0))
    stores = []
    try:
        _Reader(func, node, code, span, 0, stores, instance).block(node.body, env, None)
    except Exception:  # noqa: BLE001 - a form the reading trips on must not stop a solve: it is a check, not a step
        _log.debug("the time branches of %s were not read", code.co_name, exc_info=True)
        return None
    found = []
    for _, value, path in sorted(stores, key=lambda store: store[0]):
        branch = FREE if path is None else path  # a write at the top runs throughout
        (times, unknown), (more, unread) = switches(value), switches(branch)
        found.append((np.union1d(times, more), unknown + unread, value.lines | branch.lines))
    return found


def _restricted(found, span):
    """:func:`time_switches` over ``span`` of a reading (:func:`_read`) over it or a span around it."""
    tol = 1e-12 * max(abs(span[0]), abs(span[1]), span[1] - span[0])
    result = []
    for times, unknown, lines in found or ():
        times = times[(times > span[0] + tol) & (times < span[1] - tol)]
        if times.size + unknown >= 2:
            result.append((times, unknown, active_lines(lines, span, 64.0 * np.finfo(np.float64).eps
                                                        * max(abs(span[0]), abs(span[1])))))
    return result


def warn_time_branches(system, t0, reached, t_eval, dt=None, adaptive=True, dt_max=np.inf, rows=None):
    """:class:`kernels.SamplingWarning`, once, where the rhs of ``system`` switches on t (:func:`time_switches`)
    and a window between two switches can be passed over by a step (:func:`hidden_windows`; a staircase, as
    ``H[int(t)]`` reads hourly data, worded as one: :func:`kernels.time_windows.staircase`), the rhs jumping there
    at one of ``rows`` (the ``(y, p)`` the host checks look at, :func:`kernels.integrator_checks.probe_rows`; None:
    not checked); or, adaptive with ``dt_max`` not finite, where its switch times could not be read.  Fixed steps
    without ``dt`` say nothing, nor do unread switches of a fixed-step run (no step bound would silence the
    warning)."""
    if not adaptive and dt is None:
        return
    found = time_switches(system.rhs, (t0, reached))
    for times, unknown, lines in found:
        if unknown:
            continue
        windows = hidden(times, t0, reached, t_eval, dt_max, None if adaptive else dt)
        for at in rows or (None,):
            window = confirmed(system, at, *windows)
            if window is not None:
                warn_user(hidden_message(system, lines, window, times, t0, reached, t_eval, dt, adaptive, dt_max,
                                         at), SamplingWarning)
                return
    unread = [lines for _, unknown, lines in found if unknown]
    if unread and adaptive and not math.isfinite(dt_max):
        warn_user(unread_message(system, unread[0]), SamplingWarning)
