"""ODE systems written once in SymPy: rhs, dense Jacobian and Jacobian-vector product generated from it.

A model given as SymPy expressions is differentiated symbolically and turned
into plain Python source for ``rhs(t, y, p, dydt)``, ``jac(t, y, p, J)``
(flat row-major, ``J[i * n + j] = d f_i / d y_j``) and
``jvp(t, y, p, v, out)``, the same contract as hand-written functions
(:mod:`kernels.systems`), so implicit methods get the analytic Jacobian
path without the user deriving it.  Each function is straight-line code
with literal indices, its common subexpressions eliminated
(``sympy.cse``), Jacobian entries that are identically zero written once
each as a constant.

Precision: every numeric constant, and ``t`` of a time-dependent model, is
converted once at the top of the function to the working precision
(``dydt.dtype.type``), so a float32 kernel does float32 arithmetic (a bare
``2.0`` would promote it to float64) and the same functions serve float64.
A product multiplies its factors rate constants first (by size, where
``default_params`` gives it), then states (:mod:`kernels.symbolic_order`), so
that ``k2*M*O*O2`` is not ``M*O*O2*k2``, past float32's range by day.
SymPy is an optional dependency (``pip install 'bufferplan[symbolic]'``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import ConfigurationError, describe
from .literals import holds
from .symbolic_order import MAX_PRODUCT_POWER, FactorOrder, mul_text

__all__ = ["symbolic_system"]


def _sympy():
    try:
        import sympy
    except ImportError as exc:
        raise ConfigurationError("symbolic_system needs SymPy, which is not installed: "
                                 "pip install 'bufferplan[symbolic]' (or pip install sympy)") from exc
    return sympy


def _printer_class(sympy):
    """A Python code printer that names symbols from a map and hoists every number into a typed constant."""
    from sympy.printing.pycode import PythonCodePrinter

    class Printer(PythonCodePrinter):
        def __init__(self, names, order=None):
            super().__init__({"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": False})
            self.names = names
            self.constants = {}  # float value -> constant name
            self.factor_order = order if order is not None else FactorOrder()  # of a product's factors

        def constant(self, value):
            value = float(value)
            if value not in self.constants:
                self.constants[value] = f"K{len(self.constants)}"
            return self.constants[value]

        def _print_Symbol(self, expr):
            try:
                return self.names[expr]
            except KeyError:
                raise ConfigurationError(f"symbolic_system: the symbol {expr} is not a state, a parameter or the "
                                         "time symbol (t=)")

        _print_Dummy = _print_Symbol

        def _print_Number(self, expr):
            return self.constant(expr)

        _print_Integer = _print_Rational = _print_Float = _print_Half = _print_One = _print_Zero = _print_Number
        _print_NegativeOne = _print_NumberSymbol = _print_Pi = _print_Exp1 = _print_Number
        _print_EulerGamma = _print_GoldenRatio = _print_Catalan = _print_TribonacciConstant = _print_Number

        def _print_Mul(self, expr):  # factors in an order whose partial products stay in range (symbolic_order.py)
            return mul_text(self, expr, self.factor_order)

        def _print_sign(self, expr):
            x, zero, one = self._print(expr.args[0]), self.constant(0), self.constant(1)
            return f"({one} if {x} > {zero} else (-{one} if {x} < {zero} else {zero}))"

        def _print_Pow(self, expr, rational=False):
            base, exp = expr.base, expr.exp
            if exp.is_Integer and 0 < abs(int(exp)) <= MAX_PRODUCT_POWER:
                factor = self.parenthesize(base, sympy.printing.precedence.PRECEDENCE["Mul"] + 1)
                product = "*".join([factor] * abs(int(exp)))
                return f"({product})" if exp > 0 else f"({self.constant(1)}/({product}))"
            if exp == sympy.S.Half:
                return f"math.sqrt({self._print(base)})"
            if exp == -sympy.S.Half:
                return f"({self.constant(1)}/math.sqrt({self._print(base)}))"
            if base == sympy.E:
                return f"math.exp({self._print(exp)})"
            return f"({self.parenthesize(base, 1000)} ** {self.parenthesize(exp, 1000)})"

    return Printer


def _symbols(sympy, values, what):
    if isinstance(values, sympy.Basic) and not isinstance(values, sympy.Symbol):
        raise ConfigurationError(f"{what} must be a sequence of SymPy symbols; got the expression {values}")
    if isinstance(values, (set, frozenset)):  # its order (which symbol is p[0]) changed with the hash seed: a trial
        raise ConfigurationError(
            f"{what} must be an ordered sequence of SymPy symbols (a list or tuple: its order is the order of "
            f"{'y' if what == 'states' else 'p'}[0], [1], ...); got a set, whose order changes from one Python "
            f"process to the next: write [{', '.join(sorted(str(v) for v in values))}] in the order you index them")
    if isinstance(values, dict) and what == "states":  # {x: dxdt, ...}: its keys, in their (insertion) order
        values = list(values)
    elif isinstance(values, dict):  # params={k: 2.0}, SymPy's subs style: the values were dropped in silence
        raise ConfigurationError(
            f"{what} must be a sequence of SymPy symbols; got a dict: pass its keys, {what}=[...], and their values "
            "as default_params=[...] (or as the solve's params), in the same order")
    if isinstance(values, (sympy.IndexedBase, sympy.Indexed)):
        raise ConfigurationError(f"{what} must be SymPy symbols (sympy.symbols('c0:10') for c0 ... c9); got the "
                                 f"indexed {values}")
    values = [values] if isinstance(values, sympy.Symbol) else list(values)
    for value in values:
        if isinstance(value, sympy.Indexed):
            raise ConfigurationError(f"{what} must be SymPy symbols, not indexed ones: got {value} among them; "
                                     f"make them with sympy.symbols('{value.base}0:{len(values)}')")
        if not isinstance(value, sympy.Symbol):
            raise ConfigurationError(f"{what} must be SymPy symbols (sympy.symbols('x y z')); got {describe(value)}"
                                     f" among them")
    return values


def _expressions(sympy, values, what, keys=None):
    """SymPy expressions from a sequence, or from a dict keyed by ``keys`` (the states, in their order)."""
    if isinstance(values, dict):
        if keys is None:
            values = list(values.values())
        else:
            unknown = [k for k in values if k not in keys]
            missing = [k for k in keys if k not in values]
            if unknown or missing:
                raise ConfigurationError(f"{what} as a dict must have exactly the states as keys; "
                                         f"missing {missing}, not states {unknown}")
            values = [values[k] for k in keys]
    elif isinstance(values, sympy.MatrixBase) and 1 in values.shape:  # a column or row Matrix, SymPy's idiom
        values = list(values)
    elif isinstance(values, (sympy.Basic, str, numbers.Number)) or not hasattr(values, "__iter__"):
        raise ConfigurationError(f"{what} must be a list of SymPy expressions (or a dict state -> expression); "
                                 f"got {describe(values)}")
    out = []
    for i, value in enumerate(values):
        if isinstance(value, str):
            raise ConfigurationError(f"{what}[{i}] is a string ({value!r}): build it from the SymPy symbols instead")
        if isinstance(value, sympy.Equality):
            meant = "the derivative's value" if what == "rhs" else "the value alone"
            raise ConfigurationError(f"{what}[{i}] is an equation ({value}): give its right-hand side alone "
                                     f"({what}[{i}].rhs), {meant}")
        try:
            expr = sympy.sympify(value, strict=True)
        except (sympy.SympifyError, TypeError) as exc:
            raise ConfigurationError(f"{what}[{i}] is not a SymPy expression: {describe(value)}") from exc
        if not isinstance(expr, sympy.Expr):
            raise ConfigurationError(f"{what}[{i}] = {expr} is a {type(expr).__name__}, not a number-valued "
                                     "expression (a condition belongs inside Piecewise((a, cond), (b, True)))")
        if expr.has(sympy.I) or expr.has(sympy.zoo) or expr.has(sympy.nan):
            bad = "the imaginary unit I" if expr.has(sympy.I) else "zoo or nan (a division by zero?)"
            raise ConfigurationError(f"{what}[{i}] = {expr} contains {bad}: states, parameters and derivatives "
                                     "are real numbers")
        if expr.has(sympy.oo) or expr.has(-sympy.oo):  # an infinite rate makes every step fail, at run time
            raise ConfigurationError(f"{what}[{i}] = {expr} contains oo (infinity): give the rate as a large finite "
                                     "number or a parameter")
        out.append(expr)
    return out


def _check_free_symbols(sympy, exprs, what, allowed, t_given):
    for i, expr in enumerate(exprs):
        unknown = sorted((s for s in expr.free_symbols if s not in allowed), key=str)
        twins = [(s, a) for s in unknown for a in allowed if a.name == getattr(s, "name", None)]
        if twins:
            s, a = twins[0]
            raise ConfigurationError(
                f"{what}[{i}] = {expr} uses {sympy.srepr(s)}, and {sympy.srepr(a)} was declared: their assumptions "
                "differ, so SymPy holds them as two symbols. Make each symbol once (sympy.symbols(...)) and use it "
                "both in the equations and in states, params or t")
        if unknown:
            names = ", ".join(str(s) for s in unknown)
            one = len(unknown) == 1
            what_it = "a state or a parameter" if one else "states or parameters"
            if t_given:
                what_it += ", nor the time symbol" if not one else " (nor the time symbol)"
            hint = ""
            if not t_given:
                time = next((s for s in unknown if str(s) in ("t", "time", "tau")), unknown[0] if one else None)
                hint = (f"; if {'it' if one else time} is time, pass it as t={time}" if time is not None
                        else "; if one of them is time, pass it as t=")
            raise ConfigurationError(
                f"{what}[{i}] = {expr} uses the symbol{'' if one else 's'} {names}, which "
                f"{'is not' if one else 'are not'} {what_it}: add {'it' if one else 'them'} to states or params{hint}")
        open_ended = [pw for pw in expr.atoms(sympy.Piecewise) if pw.args[-1].cond != sympy.true]
        if open_ended:
            raise ConfigurationError(f"{what}[{i}]: Piecewise {open_ended[0]} has no value for the remaining "
                                     "cases: end it with an (expression, True) branch")
        applied = list(expr.atoms(sympy.core.function.AppliedUndef))
        if applied:
            raise ConfigurationError(f"{what}[{i}] calls the undefined function {applied[0].func}: only SymPy's "
                                     "elementary functions can be generated; write it out as an expression")


def _function_source(sympy, name, args, out, entries, zeros, names, n_total, known=((), None, None)):
    """Source of ``def name(args): ...`` assigning ``out[k] = entries[k]`` and ``out[k] = 0`` for ``zeros``.

    ``entries`` maps an output index to its expression; common subexpressions
    are eliminated across all of them.  ``known`` is ``(params, values, t)``:
    the parameter symbols, a dict of the values ``default_params`` gives them
    (or None) and the time symbol (or None); products multiply their factors in
    the order :mod:`kernels.symbolic_order` gives from these.
    """
    order = FactorOrder(*known)
    printer = _printer_class(sympy)(dict(names), order)
    doprint = _guarded(sympy, printer)
    indices = sorted(entries)
    temps = sympy.numbered_symbols("cse", cls=sympy.Dummy)
    replacements, reduced = sympy.cse([entries[k] for k in indices], symbols=temps, optimizations="basic")
    body, inlined = [], {}  # a temporary that would hold a power too large alone is written where it is used
    for k, (temp, expr) in enumerate(replacements):
        expr = expr.xreplace(inlined)
        if order.too_large(expr):
            inlined[temp] = expr
            continue
        printer.names[temp] = f"s{k}"
        body.append(f"    s{k} = {doprint(expr)}")
        order.remember(temp, expr)
    reduced = [expr.xreplace(inlined) for expr in reduced]
    from .codegen import UNROLL_STATES

    if zeros:
        zero = printer.constant(0.0)
        if len(zeros) <= UNROLL_STATES * UNROLL_STATES:
            body += [f"    {out}[{k}] = {zero}" for k in zeros]
        else:  # every entry zeroed by a loop first, then the nonzero ones written
            body += [f"    for k in range({n_total}):", f"        {out}[k] = {zero}"]
    body += [f"    {out}[{k}] = {doprint(expr)}" for k, expr in zip(indices, reduced)]
    unsupported = getattr(printer, "_not_supported", ())  # set by a doprint: absent when every entry is 0
    if unsupported:
        shown = ", ".join(sorted(str(e) for e in unsupported)[:3])
        raise ConfigurationError(f"symbolic_system: {shown} cannot be written as Python for the GPU; "
                                 "use elementary functions (exp, log, sin, sqrt, ...) and arithmetic")
    head = [f"def {name}({', '.join(args)}):", f"    W = {out}.dtype.type"]
    # A number float32 cannot hold stays float64, a NumPy float64 so that the simulator's NumPy promotes with it
    # as Numba does on the GPU: W(1e39) was inf in a float32 kernel, and the run failed with "singular matrix"
    # (a user's trial)
    head += [f"    {const} = F64({value!r})" if not holds(value, np.float32) else f"    {const} = W({value!r})"
             for value, const in printer.constants.items()]
    return "\n".join(head + body) + "\n"


def _derivative_form(sympy, entry):
    """A Jacobian entry as the GPU should evaluate it.

    The steps of Heaviside, sign, floor and ceiling have derivative 0 wherever it exists (as a Piecewise
    switch's has): their DiracDelta and unevaluated derivatives become 0.  (Powers with a non-integer exponent
    are differentiated by :func:`_jacobian`, finite at a base of 0.)
    """
    steps = (sympy.Heaviside, sympy.sign, sympy.floor, sympy.ceiling)

    def step_derivative(e):  # d step(u)/dy: DiracDelta, Derivative(step(y), y), or Subs(Derivative(step(x), x), x, u)
        inner = e.expr if isinstance(e, sympy.Subs) else e
        return isinstance(e, sympy.DiracDelta) or (isinstance(inner, sympy.Derivative) and isinstance(inner.expr, steps))

    entry = entry.replace(step_derivative, lambda e: sympy.S.Zero)
    return entry.replace(lambda e: isinstance(e, sympy.Subs), lambda e: e.doit())  # Subs(0, x, u) left behind


def _jacobian(sympy, exprs, states):
    """The Jacobian of ``exprs`` in ``states``, a power ``u**n`` of a state-dependent base with a non-integer exponent
    differentiated by the chain rule, ``n*u**(n - 1)*du``: SymPy writes ``n*u**n*du/u``, 0/0 where ``u = 0``, and
    for ``u = y/K`` (a Hill term written ``(y/K)**n``) powsimp cannot combine ``u**n/y`` (a user's trial: every
    implicit solve of a MAPK cascade from no phosphoprotein failed at step 0).  The base is kept whole, so the
    form holds for parameters of either sign and never forms ``(1/K)**n`` (1e40 at K = 1e-10, n = 4: NaN in
    float32)."""

    class _Power(sympy.Function):
        @classmethod
        def eval(cls, base, exponent):
            return None

        def fdiff(self, argindex=1):
            base, exponent = self.args
            if argindex == 1:
                return exponent * _Power(base, exponent - 1)
            return _Power(base, exponent) * sympy.log(base)

    symbolic = set(states)

    def wrapped(e):  # (y/K)**2.5 too: SymPy writes 2.5*(y/K)**2.5/y, NaN at y = 0 (a regression hunt)
        return e.is_Pow and not e.exp.is_Integer and bool(e.base.free_symbols & symbolic)

    exprs = [sympy.sympify(e).replace(wrapped, lambda e: _Power(e.base, e.exp)) for e in exprs]
    return sympy.Matrix(exprs).jacobian(states).replace(lambda e: isinstance(e, _Power),
                                                        lambda e: sympy.Pow(*e.args))


def _user_names(sympy, expr):
    """``expr`` as text with the real-valued Dummies the generator put in place of the user's symbols shown
    under the user's names (``x``, not ``_x``)."""
    return str(expr.replace(lambda e: isinstance(e, sympy.Dummy), lambda d: sympy.Symbol(d.name)))


def _guarded(sympy, printer):
    """``printer.doprint`` raising ConfigurationError for what cannot be written as Python for the GPU."""
    from sympy.printing.codeprinter import PrintMethodNotImplementedError

    def doprint(expr):
        try:
            return printer.doprint(expr)
        except PrintMethodNotImplementedError as exc:
            what = str(exc).splitlines()[0].rsplit(":", 1)[-1].strip()
            raise ConfigurationError(f"symbolic_system: the function {what} cannot be written as Python for the "
                                     "GPU; use elementary functions (exp, log, sin, "
                                     "sqrt, Abs, Piecewise, ...) and arithmetic") from exc
        except (ValueError, TypeError) as exc:  # an unevaluated derivative (of Mod, say) SymPy cannot print
            derivative = (" (the Jacobian needs this derivative, which SymPy leaves unevaluated: write the term "
                          "without it, or build an ODESystem from a hand-written rhs and jac)"
                          if expr.has(sympy.Derivative) else "")
            raise ConfigurationError(f"symbolic_system: {_user_names(sympy, expr)} cannot be written as Python for "
                                     f"the GPU{derivative}; use elementary functions (exp, log, sin, sqrt, Abs, "
                                     "Piecewise, ...) and arithmetic") from exc

    return doprint



def _default_params_by_symbol(given, params):
    """The values of ``given``, a dict keyed by the params' symbols or by their names (``{"T": 500.0}``, as a
    DataFrame's columns are read), in the order of ``params``.  String keys were refused with the same names listed
    as both missing and not params (a chemist's trial)."""
    names = [str(s) for s in params]
    by_name = {str(s): s for s in params if names.count(str(s)) == 1}  # a shared name (k and k positive) reads none
    keyed = {}
    for key, value in given.items():
        symbol = by_name.get(key, key) if isinstance(key, str) else key
        if symbol in keyed:
            raise ConfigurationError(f"default_params: {str(symbol)!r} is given twice, as a symbol and as its name; "
                                     "give each param once")
        keyed[symbol] = value
    missing = [str(s) for s in params if s not in keyed]
    unknown = [str(k) for k in keyed if k not in params]
    if missing or unknown:
        raise ConfigurationError(f"default_params as a dict must have exactly the params as keys (their symbols or "
                                 f"names); missing {missing}, not params {unknown}")
    return [keyed[s] for s in params]


def _param_values(params, default_params):
    """``{symbol: value}`` of the params from ``default_params`` where it is one finite number each, else None (the
    system's own check says what is wrong with it): the generated products order their factors by these."""
    if default_params is None or default_params.shape != (len(params),) or not np.all(np.isfinite(default_params)):
        return None
    return {s: float(v) for s, v in zip(params, default_params)}


def _compile(source, name):
    scope = {"math": math, "F64": np.float64, "__name__": "kernels.symbolic.generated"}
    exec(compile(source, f"<bufferplan-symbolic:{name}>", "exec"), scope)  # noqa: S102 - generated here
    func = scope[name]
    func.__bufferplan_source__ = source
    return func


def symbolic_system(states, rhs, params=(), t=None, name=None, observables=None, default_params=None,
                    check=True):
    """An :class:`~kernels.ODESystem` from SymPy expressions, with generated ``jac`` and ``jvp``.

    Parameters
    ----------
    states : sequence of sympy.Symbol
        The state variables, in the order of ``y``.
    rhs : sequence of sympy expressions, or dict state -> expression
        ``dy_i/dt`` for each state.
    params : sequence of sympy.Symbol, optional
        The parameters, in the order of ``p``.
    t : sympy.Symbol, optional
        The time symbol of a time-dependent model.
    name : str, optional
        Default ``"symbolic"``.
    observables : sequence of sympy expressions, optional
        Saved beside the state (``ODESystem(observables=...)``).
    default_params : array_like, optional
    check : bool, optional
        Run :class:`~kernels.ODESystem`'s checks (default True) but its PTX compile check: the
        generated code is written to compile, and the kernel build compiles it anyway.

    Returns
    -------
    ODESystem
        With ``rhs``, ``jac`` and ``jvp`` (and ``observables``) generated;
        each function's source is its ``__bufferplan_source__``.  Its
        ``param_names`` are the params' names, in order: a solve reads a
        pandas DataFrame's columns by them (:mod:`kernels.named_params`).

    Raises
    ------
    ConfigurationError
        SymPy is missing; a state, parameter or ``t`` is not a symbol or is
        repeated; an expression uses a symbol that is none of them (named),
        or a function that cannot be generated.

    Examples
    --------
    >>> import sympy, kernels
    >>> x, v, mu = sympy.symbols("x v mu")
    >>> vdp = kernels.symbolic_system([x, v], [v, mu * (1 - x**2) * v - x], params=[mu],
    ...                               name="vdp", default_params=[1000.0])
    >>> vdp.n_states, vdp.jac is not None, vdp.jvp is not None
    (2, True, True)
    """
    sympy = _sympy()
    from .systems import ODESystem

    states = _symbols(sympy, states, "states")
    params = _symbols(sympy, params, "params")
    if t is not None and not isinstance(t, sympy.Symbol):
        raise ConfigurationError(f"t must be a SymPy symbol or None; got {describe(t)}")
    every = states + params + ([t] if t is not None else [])
    repeated = sorted({str(s) for s in every if every.count(s) > 1})
    if repeated:
        raise ConfigurationError(f"symbols {', '.join(repeated)} appear more than once among states, params and t")
    if not states:
        raise ConfigurationError("states must name at least one SymPy symbol")
    exprs = _expressions(sympy, rhs, "rhs", keys=states)
    n = len(states)
    if len(exprs) != n:
        raise ConfigurationError(f"rhs must have one expression per state: {n} states, {len(exprs)} expressions")
    allowed = set(every)
    _check_free_symbols(sympy, exprs, "rhs", allowed, t is not None)
    obs = None
    if observables is not None:
        obs = _expressions(sympy, observables, "observables")
        _check_free_symbols(sympy, obs, "observables", allowed, t is not None)
        if not obs:
            raise ConfigurationError("observables must hold at least one expression (or be None)")

    # Differentiate with real symbols (SymPy's are complex by default: d|x|/dx would involve re and im).
    real = {s: sympy.Dummy(s.name, real=True) for s in every}
    exprs = [e.xreplace(real) for e in exprs]
    obs = None if obs is None else [e.xreplace(real) for e in obs]
    symbols = (tuple(states), tuple(params), t)
    states, params = [real[s] for s in states], [real[s] for s in params]
    t = None if t is None else real[t]
    names = {s: f"y[{i}]" for i, s in enumerate(states)}
    names.update({s: f"p[{i}]" for i, s in enumerate(params)})
    if t is not None:
        # t itself, float64 in every kernel as in a hand-written rhs: it was W(t), rounded to float32 in a float32
        # kernel (a user's trial: sin(20 t) from t0 = 1e5, tsit5 405 tolerances off with success, 0.86 by hand)
        names[t] = "t"
    label = str(name) if name is not None else "symbolic"
    try:
        jac = _jacobian(sympy, exprs, states).applyfunc(lambda e: _derivative_form(sympy, e))
    except (TypeError, ValueError, AttributeError, NotImplementedError) as exc:
        raise ConfigurationError(f"symbolic_system: the Jacobian of rhs could not be formed ({type(exc).__name__}: "
                                 f"{exc}); use elementary functions and arithmetic, or build an ODESystem with your "
                                 "own rhs and jac") from exc
    flat = [jac[i, j] for i in range(n) for j in range(n)]
    nonzero = {k: e for k, e in enumerate(flat) if e != 0}
    zeros = [k for k, e in enumerate(flat) if e == 0]
    v = [sympy.Dummy(f"v{j}") for j in range(n)]
    v_names = dict(names)
    v_names.update({s: f"v[{j}]" for j, s in enumerate(v)})
    jvp = {i: sympy.Add(*[jac[i, j] * v[j] for j in range(n) if jac[i, j] != 0]) for i in range(n)}

    if isinstance(default_params, dict):  # {k: 2.0}, SymPy's subs style: a bare TypeError (a user's trial)
        default_params = _default_params_by_symbol(default_params, symbols[1])
    if default_params is not None:
        default_params = np.asarray(default_params, dtype=np.float64)
    known = (params, _param_values(params, default_params), t)  # products' factor order (symbolic_order.py)
    rhs_src = _function_source(sympy, "rhs", ("t", "y", "p", "dydt"), "dydt", dict(enumerate(exprs)), [],
                               names, n, known)
    jac_src = _function_source(sympy, "jac", ("t", "y", "p", "J"), "J", nonzero, zeros, names, n * n, known)
    jvp_src = _function_source(sympy, "jvp", ("t", "y", "p", "v", "out"), "out", jvp, [], v_names, n, known)
    kwargs = {}
    if obs is not None:
        obs_src = _function_source(sympy, "observables", ("t", "y", "p", "obs"), "obs", dict(enumerate(obs)), [],
                                   names, len(obs), known)
        kwargs = {"observables": _compile(obs_src, "observables"), "n_observables": len(obs)}
    system = ODESystem(_compile(rhs_src, "rhs"), n, len(params), name=label, jac=_compile(jac_src, "jac"),
                       jvp=_compile(jvp_src, "jvp"), default_params=default_params, check=False, **kwargs)
    if check:
        # The functions run on test arrays (their values checked, jac and jvp against differences of rhs), but
        # the PTX compile check is left out: this printer writes only what compiles (it refuses the rest above),
        # and the check took 16 of 17.5 s building a 40-species mechanism (a user's trial; 86 s at 80 species).
        # Quietly, as the other host checks run: a jac at a perturbed test point can make inf - inf (a chemist's
        # trial printed NumPy's RuntimeWarnings from <bufferplan-symbolic:jac> while it was built).
        with np.errstate(all="ignore"):
            system._check_runs()
    system.symbols = symbols
    # the Jacobian's structural nonzeros, exact: jacobian_pattern takes them, where random probes missed photolysis
    # (0 at their t and at a t0 of 06:00: rodas4 92 tolerances off with success; an atmospheric chemist's trial)
    system.jacobian_structure = tuple(sorted({divmod(k, n) for k in nonzero} | {(i, i) for i in range(n)}))
    system.param_names = tuple(str(s) for s in symbols[1])  # a DataFrame's columns are read by these
    return system
