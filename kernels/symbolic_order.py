"""The order in which generated code multiplies a product's factors, so that its partial products stay in range.

Python evaluates ``a*b*c*d`` as ``((a*b)*c)*d``.  SymPy's printer orders a product's factors by name, and a
three-body rate ``k2*M*O*O2`` (k2 = 6e-34, M = 2.5e19, O2 = 5e18, states in molecules cm^-3) came out as
``p[4]*y[0]*y[1]*p[1]``: ``M*O*O2`` is 1.25e47 at O = 1e9, inf in float32, though the whole product is about
1e4 (an atmospheric chemist's trial: every float32 run of the Chapman mechanism ended at max_steps, no warning).

The rule, for a product's numerator and, apart, its denominator (only the order changes: no operation is added):

1. factors of known size first: numbers, and expressions of parameters alone where ``default_params`` gives their
   values (common subexpressions of them included), multiplied large and small by turns (while the running product
   is above 1 the smallest factor left comes next, else the largest), which keeps every partial product between the
   extremes of the single factors and the whole;
2. then expressions of parameters alone whose values are not known, in SymPy's order;
3. then what depends on the states, ``t`` or ``v`` (a jvp's direction), in SymPy's order;

except that a product with ``t`` itself as a factor keeps SymPy's order (:meth:`FactorOrder.ordered` says why).
A known integer power past 1e30 (or below 1e-30) is one factor only if float32 can hold it: SymPy writes ``O2*M``,
with ``O2 = 0.21*M``, as ``M**2`` (6e38 at M = 2.5e19, inf in float32), so such a power enters the rule as its
repeated base (:meth:`FactorOrder.split`), and a common subexpression that would hold it alone is not made
(:meth:`FactorOrder.too_large`; an atmospheric chemist's trial: every float32 row failed at step 0).

Rate constants, small where the states are large, so come first; states are multiplied in last, when the
constants' product is formed.  Where every factor is of group 3 the printed order is SymPy's, unchanged.  The
code generator does not know the states' magnitudes: two tiny constants (1e-30 * 1e-30) still meet before the
states that would keep their product in range.
"""

from __future__ import annotations

import math

__all__ = ["FactorOrder", "mul_text", "MAX_PRODUCT_POWER"]

# a known power further than this from 1 (in decades) is multiplied as its factors: float32 ends at 3.4e38
SPLIT_LOG10 = 30
#: Integer powers up to this are written as products (x*x*x), exact and cheap in either precision (kernels.symbolic's
#: printer); those of a known value further than :data:`SPLIT_LOG10` decades from 1 are split here too.
MAX_PRODUCT_POWER = 8


class FactorOrder:
    """What the printer knows of a product's factors: which are expressions of parameters alone, and the values of
    those that ``default_params`` (and common subexpressions of them) give."""

    def __init__(self, params=(), values=None, time=None):
        self.constant_symbols = set(params)  # parameters, and cse temporaries made of them alone
        self.time = time  # the time symbol: products of it keep SymPy's order (:meth:`ordered`)
        self.values = dict(values or {})  # symbol -> float: default_params, and temporaries of known value

    def remember(self, temp, expr):
        """Record the cse temporary ``temp = expr``: constant if ``expr`` is made of parameters alone, with its value
        where that is known, so that a product using ``temp`` orders it as it would ``expr``."""
        if expr.free_symbols <= self.constant_symbols:
            self.constant_symbols.add(temp)
            value = self.value(expr)
            if value is not None:
                self.values[temp] = value

    def value(self, expr):
        """``expr``'s value as a nonzero finite float, or None where it depends on what is not known (the states, a
        parameter without a default value) or cannot be evaluated."""
        if expr in self.values:
            return self.values[expr]
        if not expr.free_symbols <= self.values.keys():
            return None
        try:
            from sympy import Float

            value = float(expr.xreplace({s: Float(self.values[s]) for s in expr.free_symbols}))
        except (TypeError, ValueError, OverflowError, ZeroDivisionError):  # complex, or not a number
            return None
        return value if value != 0.0 and math.isfinite(value) else None

    def too_large(self, expr):
        """Whether ``expr`` is an integer power (2 to 8) of an expression of known value, together further than
        1e30 from 1: float32 cannot be trusted to hold it alone, so it is multiplied as its repeated base."""
        if not (expr.is_Pow and expr.exp.is_Integer and 2 <= int(expr.exp) <= MAX_PRODUCT_POWER):
            return False
        value = self.value(expr.base)
        return value is not None and abs(math.log10(abs(value))) * int(expr.exp) > SPLIT_LOG10

    def split(self, factors):
        """``factors`` with every :meth:`too_large` power written as its repeated base, for :meth:`ordered` to place
        each between factors of the other size (``k*M**2*O``: ``k*M*M*O`` multiplied ``M*k*M*O``)."""
        out = []
        for factor in factors:
            out.extend([factor.base] * int(factor.exp) if self.too_large(factor) else [factor])
        return out

    def ordered(self, factors):
        """``factors`` (SymPy's order) in the order to multiply them (the module's rule).

        A product with ``t`` itself among its factors (``t``, ``t**2``, ``t - t0``; not ``sin(w*t)``) keeps SymPy's
        order: ``t`` is float64 in a float32 kernel, and where it meets the float32 partial product decides how much
        of a phase ``2*pi*f*t`` is rounded to float32 and which multiplies are float64 (precision and speed far from
        t = 0 are left as they were)."""
        if self.time is not None and any(self.time in f.free_symbols and not f.is_Function for f in factors):
            return list(factors)
        known, unknown_constants, rest = [], [], []
        for factor in factors:
            if not factor.free_symbols <= self.constant_symbols:
                rest.append(factor)
                continue
            value = self.value(factor)
            if value is None:
                unknown_constants.append(factor)
            else:
                known.append((math.log10(abs(value)), factor))
        return _alternating(known) + unknown_constants + rest


def _alternating(known):
    """The factors of ``known`` (``(log10 |value|, factor)`` pairs) ordered so that the running product stays near 1:
    the smallest left next while it is above 1, else the largest (the first of equals, so the order is fixed)."""
    out, total, left = [], 0.0, list(known)
    while left:
        pick = min if total > 0.0 else max
        i = pick(range(len(left)), key=lambda k: left[k][0])
        log, factor = left.pop(i)
        total += log
        out.append(factor)
    return out


def mul_text(printer, expr, order):
    """``expr`` (a SymPy Mul) as Python with its factors in ``order.ordered``'s order: SymPy's ``_print_Mul`` (sign,
    numerator, then ``/`` and the denominator, parenthesised as SymPy does) with only the order of the factors
    changed."""
    from sympy import Mul, Pow, S
    from sympy.core.mul import _keep_coeff
    from sympy.printing.precedence import PRECEDENCE, precedence

    prec = precedence(expr)
    c, e = expr.as_coeff_Mul()
    sign = ""
    if c < 0:
        expr, sign = _keep_coeff(-c, e), "-"
    numerator, denominator, bracketed = [], [], []
    for item in expr.as_ordered_factors():
        if item.is_commutative and item.is_Pow and item.exp.is_Rational and item.exp.is_negative:
            if item.exp != -1:
                denominator.append(Pow(item.base, -item.exp, evaluate=False))
            else:
                if len(item.args[0].args) != 1 and isinstance(item.base, Mul):  # SymPy's issue 14160
                    bracketed.append(item.base)
                denominator.append(Pow(item.base, -item.exp))
        else:
            numerator.append(item)
    numerator = order.ordered(order.split(numerator)) or [S.One]
    denominator = order.ordered(order.split(denominator))
    if len(numerator) == 1 and sign == "-":
        top = [printer.parenthesize(numerator[0], 0.5 * (PRECEDENCE["Pow"] + PRECEDENCE["Mul"]))]
    else:
        top = [printer.parenthesize(x, prec) for x in numerator]
    bottom = [f"({printer.parenthesize(x, prec)})" if x in bracketed else printer.parenthesize(x, prec)
              for x in denominator]
    if not bottom:
        return sign + "*".join(top)
    if len(bottom) == 1:
        return sign + "*".join(top) + "/" + bottom[0]
    return sign + "*".join(top) + "/(%s)" % "*".join(bottom)
