"""The Butcher tableau: a Runge-Kutta method as immutable, validated data.

``a`` is a general square matrix (an explicit method has a strictly lower
triangular one, a diagonally implicit method a lower triangular one); rows
may be given shorter than the number of stages and are padded with zeros, so
an explicit tableau can be written row by row as in the literature.  The
module imports neither Numba nor the rest of ``kernels``: tableaus are data,
and one generic step per family reads them.
"""

from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np

from ..errors import TableauError
from .conditions import CONSTRUCTION_RTOL, blind_on_linear, check_claimed_orders, rk_conditions

__all__ = ["ButcherTableau"]

_TOL = 1e-14
_REQUIRED = ("name", "a", "b", "c", "order")
_OPTIONAL = ("b_hat", "embedded_order", "fsal", "b_hat_low", "embedded_order_low", "error_scale")
#: Bytes of the working precision from which a step applies ``error_scale`` (float64; :meth:`ButcherTableau.error_weights_at`).
SCALED_FROM_ITEMSIZE = 8


def _floats(values, what, name):
    if values is None or isinstance(values, (str, bytes, dict)):
        raise TableauError(f"tableau {name!r}: {what} must be a sequence of numbers; got {values!r}")
    try:
        out = tuple(float(x) for x in values)
    except (TypeError, ValueError):
        raise TableauError(f"tableau {name!r}: {what} must be a sequence of numbers{_fraction_hint(values)}; got "
                           f"{values!r}") from None
    if not all(math.isfinite(x) for x in out):
        raise TableauError(f"tableau {name!r}: {what} must be finite numbers; got {values!r}")
    return out


def _fraction_hint(values):
    """What to give for a coefficient typed as a string such as '1/6' (refused: float() reads decimals only), or ''."""
    if isinstance(values, (list, tuple)) and any(isinstance(x, str) for x in values):
        return " (an exact fraction is fractions.Fraction(1, 6), not the string '1/6')"
    return ""


def check_name(name, kind="tableau"):
    """TableauError unless ``name`` is a method name users can type: lower case, no spaces (lookups lower-case)."""
    if not isinstance(name, str) or not name or name != name.strip().lower() or any(ch.isspace() for ch in name):
        raise TableauError(f"{kind} name must be a non-empty lower-case string without spaces (users type it in "
                           f"any case, and lookups lower-case it); got {name!r}")


def rows_of(value, what, kind, name):
    """``value`` as a tuple of rows; TableauError unless it is a sequence of rows, not of numbers (the numbers
    of each row are checked by the caller).

    A flat list of coefficients (``"a": [0, 0.5, ...]`` in a JSON file) was counted as one row per number and
    refused as ``a has 4 rows, b 2 entries`` (a user's trial): it is refused here as flat.
    """
    if value is None or isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise TableauError(f"{kind} {name!r}: {what} must be a sequence of rows (one per stage), each a sequence "
                           f"of numbers; got {value!r}")
    rows = tuple(value)
    flat = next((i for i, row in enumerate(rows) if isinstance(row, numbers.Number)), None)
    if flat is not None:
        raise TableauError(f"{kind} {name!r}: {what} must be a list of rows, one per stage, each a list of numbers; "
                           f"row {flat} is the number {rows[flat]!r}: write {what} row by row, like [[0], [0.5]] "
                           "for two stages, not as one flat list")
    return rows


def check_orders(kind, name, fields):
    """Each ``(field, value, minimum)``'s value as a Python int (NumPy integers converted); TableauError unless it is
    an integer >= minimum (bool refused)."""
    out = []
    for field, value, minimum in fields:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise TableauError(f"{kind} {name!r}: {field} must be an int >= {minimum}; got {value!r}")
        out.append(value)
    return out


def check_flag(kind, name, field, value):
    """``value`` as a Python bool (NumPy bools converted); TableauError for anything else (a string "false" too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TableauError(f"{kind} {name!r}: {field} must be True or False; got {value!r}")
    return bool(value)


def check_error_scale(kind, name, value, adaptive, fully_implicit):
    """``value`` as a Python float; TableauError unless it is a finite real number > 0 (bool refused), and unless it
    is 1 where it would do nothing: without an embedded estimate, or on a fully implicit ``a``, whose family (firk)
    forms SciPy's Radau estimate from ``b_hat`` itself rather than from :attr:`ButcherTableau.error_weights`."""
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)) \
            or not math.isfinite(float(value)) or float(value) <= 0.0:
        raise TableauError(f"{kind} {name!r}: error_scale must be a finite number > 0 (the factor on the embedded "
                           f"error estimate; 1.0 leaves it as the weights give it); got {value!r}")
    value = float(value)
    if value != 1.0 and not adaptive:
        raise TableauError(f"{kind} {name!r}: error_scale = {value!r} without b_hat: there is no embedded estimate "
                           "to scale; give b_hat and embedded_order, or leave error_scale at 1.0")
    if value != 1.0 and fully_implicit:
        raise TableauError(f"{kind} {name!r}: error_scale = {value!r} on a fully implicit a: the firk family forms "
                           "its estimate (SciPy's Radau form) from b_hat and would not apply it; leave error_scale "
                           "at 1.0")
    return value


def _sum_error(name, what, total, expected):
    return TableauError(f"tableau {name!r}: {what} {total!r}, expected {expected} (to a relative "
                        f"{CONSTRUCTION_RTOL:g}, the order conditions' tolerance); give the coefficients with more "
                        "digits, or exactly, as fractions.Fraction objects (Fraction(1, 6), not the string '1/6')")


def check_estimate(kind, name, field, weights, solution):
    """TableauError when embedded weights equal the solution's: their difference, the error estimate, is 0."""
    if weights is not None and all(abs(x - y) <= _TOL * max(1.0, abs(y)) for x, y in zip(weights, solution)):
        raise TableauError(f"{kind} {name!r}: {field} equals the solution weights, so the error estimate would "
                           f"always be 0; give the embedded method's weights, or none for a fixed-step method")


@dataclasses.dataclass(frozen=True)
class ButcherTableau:
    """A Runge-Kutta tableau.

    Parameters
    ----------
    name : str
        Public method name.
    a : tuple of tuple of float
        Coupling matrix, square after padding: row ``i`` may have fewer than
        ``stages`` entries (the rest are 0), so an explicit method is written
        with ``i`` entries in row ``i``.
    b : tuple of float
        Solution weights, one per stage.
    c : tuple of float
        Stage nodes, one per stage.
    order : int
        Order of the solution.
    b_hat : tuple of float or None
        Embedded weights (the error estimate is ``dt * sum((b - b_hat) k)``),
        or None for methods without an error estimate.
    embedded_order : int
        Order of the embedded solution (0 when there is none).
    fsal : bool
        First same as last: the last stage is evaluated at the new state
        (``a[-1] = b``, ``c[-1] = 1``) and the first stage at the old one
        (``a[0] = 0``), so the last stage's derivative is the next step's first.
    b_hat_low : tuple of float or None
        A second, lower-order set of embedded weights, for methods whose
        published error estimator combines two estimates at norm level
        (DOP853: a 5th- and a 3rd-order one).  The explicit step then writes
        both error vectors and the error norm combines them (Hairer's formula,
        :func:`kernels.controllers.make_error_norm`).
    embedded_order_low : int
        Order of the ``b_hat_low`` solution (0 when there is none).
    error_scale : float
        The embedded estimate is multiplied by error_scale: a calibration for
        pairs whose higher-order solution carries about as much error as the
        estimate (kvaerno5), in float64 (a float32 step takes the estimate
        unscaled: :meth:`error_weights_at`).  A finite number > 0, 1.0 by default (and the
        only value allowed without ``b_hat`` or with a fully implicit ``a``,
        whose family forms its own estimate from ``b_hat``);
        :attr:`error_weights` and :attr:`low_error_weights` carry it, so the
        explicit and DIRK steps apply it, and the estimate's order (the
        controller's exponent) is unchanged.  An optional key of the JSON
        form (absent: 1.0).

    Raises
    ------
    TableauError
        A name that is not lower case, coefficients that are not finite
        numbers, shapes that do not agree, row sums of ``a`` that differ from
        ``c``, weights that do not sum to 1, embedded weights equal to ``b``,
        an inconsistent ``fsal`` flag, an ``error_scale`` that is not a finite
        number > 0 (or not 1 without ``b_hat`` or on a full ``a``), or
        weights that do not reach the order claimed for them (the rooted-tree
        conditions of :mod:`kernels.tableaus.conditions`, to a relative 1e-9).
    """

    name: str
    a: tuple
    b: tuple
    c: tuple
    order: int
    b_hat: tuple | None = None
    embedded_order: int = 0
    fsal: bool = False
    b_hat_low: tuple | None = None
    embedded_order_low: int = 0
    error_scale: float = 1.0

    def __post_init__(self) -> None:
        check_name(self.name)
        b = _floats(self.b, "b", self.name)
        s = len(b)
        rows = rows_of(self.a, "a", "tableau", self.name)
        object.__setattr__(self, "c", _floats(self.c, "c", self.name))
        lengths = (len(rows), s, len(self.c))
        if len(set(lengths)) != 1:
            raise TableauError(f"tableau {self.name!r}: a has {lengths[0]} rows, b {lengths[1]} entries and c "
                               f"{lengths[2]}: each must have one per stage")
        if s == 0:  # was told "sum(b) = 0, expected 1 ... give coefficients as Fraction" (a user's trial)
            raise TableauError(f"tableau {self.name!r} has no stages: a, b and c are empty; give one row of a and "
                               "one entry of b and of c per stage (at least one)")
        square = []
        for i, row in enumerate(rows):
            row = _floats(row, f"row {i} of a", self.name)
            if len(row) > s:
                raise TableauError(f"tableau {self.name!r}: row {i} of a has {len(row)} entries, more than "
                                   f"the {s} stages")
            square.append(row + (0.0,) * (s - len(row)))
        object.__setattr__(self, "a", tuple(square))
        object.__setattr__(self, "b", b)
        for field in ("b_hat", "b_hat_low"):
            if getattr(self, field) is not None:
                object.__setattr__(self, field, _floats(getattr(self, field), field, self.name))
        if self.b_hat_low is not None and self.b_hat is None:
            raise TableauError(f"tableau {self.name!r}: b_hat_low needs b_hat (the primary embedded weights); "
                               "give b_hat too, or pass the weights as b_hat")
        if self.b_hat is not None and not self.embedded_order:  # (a developer's trial: "must be an int >= 1; got 0")
            raise TableauError(f"tableau {self.name!r}: b_hat is given, so embedded_order is needed: the order its "
                               "weights reach (the controller's exponent follows it); give embedded_order=...")
        orders = check_orders("tableau", self.name, [("order", self.order, 1),
                                                     ("embedded_order", self.embedded_order, 1 if self.b_hat else 0),
                                                     ("embedded_order_low", self.embedded_order_low,
                                                      1 if self.b_hat_low else 0)])
        for field, value in zip(("order", "embedded_order", "embedded_order_low"), orders):
            object.__setattr__(self, field, value)
        object.__setattr__(self, "fsal", check_flag("tableau", self.name, "fsal", self.fsal))
        object.__setattr__(self, "error_scale", check_error_scale(
            "tableau", self.name, self.error_scale, self.b_hat is not None,
            not (self.explicit or self.diagonally_implicit)))
        for field, weights in (("embedded_order", self.b_hat), ("embedded_order_low", self.b_hat_low)):
            if weights is None and getattr(self, field):
                raise TableauError(f"tableau {self.name!r}: {field} = {getattr(self, field)} without the weights "
                                   f"it describes; give them, or leave {field} at 0")
        self.check()

    # -- shape -------------------------------------------------------------
    @property
    def stages(self) -> int:
        """Number of stages."""
        return len(self.b)

    @property
    def explicit(self) -> bool:
        """True when ``a`` is strictly lower triangular."""
        return all(self.a[i][j] == 0.0 for i in range(self.stages) for j in range(i, self.stages))

    @property
    def diagonally_implicit(self) -> bool:
        """True when ``a`` is lower triangular with a nonzero diagonal entry."""
        upper = all(self.a[i][j] == 0.0 for i in range(self.stages) for j in range(i + 1, self.stages))
        return upper and not self.explicit

    @property
    def singly_diagonal(self) -> bool:
        """True for an SDIRK or ESDIRK ``a``: lower triangular with one common nonzero diagonal entry, the first
        stage's allowed to be 0 (explicit).  The DIRK step factors one iteration matrix for every stage."""
        diagonal = [self.a[i][i] for i in range(self.stages)]
        return (self.diagonally_implicit and len({d for d in diagonal if d != 0.0}) == 1
                and all(d != 0.0 for d in diagonal[1:]))

    @property
    def adaptive(self) -> bool:
        """True when the tableau has an embedded error estimate."""
        return self.b_hat is not None

    @property
    def combined_error(self) -> bool:
        """True when the error measure combines two estimates (``b_hat`` and ``b_hat_low``) at norm level."""
        return self.adaptive and self.b_hat_low is not None

    @property
    def error_order(self) -> int:
        """Order used by step-size controllers: ``min(order, embedded_order)``.

        For a combined estimate, ``e_hi**2 / sqrt(e_hi**2 + 0.01 e_lo**2)`` with ``e_hi ~ h**(p + 1)``
        (``p = embedded_order``) and ``e_lo ~ h**(q + 1)`` (``q = embedded_order_low``), the measure behaves
        as ``h**(2 p - q + 1)``: order ``2 p - q`` (7 for DOP853, as in Hairer's code and SciPy's DOP853).
        """
        if self.combined_error:
            return min(self.order - 1, 2 * self.embedded_order - self.embedded_order_low)
        return min(self.order, self.embedded_order) if self.adaptive else self.order

    @property
    def error_weights(self) -> tuple:
        """``error_scale * (b - b_hat)``: the weights of the error estimate, as the explicit and DIRK steps read
        them (zeros for methods without an embedded estimate)."""
        if self.b_hat is None:
            return tuple(0.0 for _ in self.b)
        return tuple(self.error_scale * (x - y) for x, y in zip(self.b, self.b_hat))

    def error_weights_at(self, itemsize) -> tuple:
        """The estimate's weights a step of a working precision of ``itemsize`` bytes uses: :attr:`error_weights`
        from :data:`SCALED_FROM_ITEMSIZE` bytes (float64), ``b - b_hat`` unscaled below (float32): the estimate's
        rounding noise is scaled with it, and in float32 it reached the tolerances (kvaerno5 on Robertson at rtol
        1e-6 ended 9.8 tolerances off instead of 0.11, at 1e-8 took 5245 steps with 1211 rejected instead of 124
        with 2: a regression hunt)."""
        weights = self.error_weights
        return weights if itemsize >= SCALED_FROM_ITEMSIZE else tuple(w / self.error_scale for w in weights)

    def low_error_weights_at(self, itemsize) -> tuple:
        """:attr:`low_error_weights` at a working precision of ``itemsize`` bytes, as :meth:`error_weights_at`."""
        weights = self.low_error_weights
        if weights is None or itemsize >= SCALED_FROM_ITEMSIZE:
            return weights
        return tuple(w / self.error_scale for w in weights)

    @property
    def low_error_weights(self) -> tuple:
        """``error_scale * (b - b_hat_low)``, the second estimate of a combined measure (None without one)."""
        if not self.combined_error:
            return None
        return tuple(self.error_scale * (x - y) for x, y in zip(self.b, self.b_hat_low))

    @property
    def estimate_blind_on_linear(self) -> bool:
        """True when the embedded estimate is 0 on every linear constant-coefficient problem
        (:func:`kernels.tableaus.conditions.blind_on_linear`); False without an estimate."""
        return self.adaptive and blind_on_linear(self.a, self.error_weights)

    @property
    def stiffly_accurate(self) -> bool:
        """True when ``b`` equals the last row of ``a`` (the new state is the last stage value)."""
        return all(abs(x - y) <= _TOL for x, y in zip(self.a[-1], self.b))

    def row(self, i: int) -> tuple:
        """Row ``i`` of ``a`` up to (not including) the diagonal: what stage ``i`` sums explicitly."""
        return self.a[i][:i]

    # -- checks --------------------------------------------------------------
    def check(self) -> None:
        """Raise :class:`TableauError` unless the tableau is consistent."""
        s = self.stages
        if len(self.c) != s:
            raise TableauError(f"tableau {self.name!r}: c must have one entry per stage ({s}); got {len(self.c)}")
        for i, row in enumerate(self.a):
            if abs(sum(row) - self.c[i]) > CONSTRUCTION_RTOL * max(1.0, sum(abs(x) for x in row)):
                raise _sum_error(self.name, f"row {i} of a sums to", sum(row), f"c[{i}] = {self.c[i]!r}")
        if abs(sum(self.b) - 1.0) > CONSTRUCTION_RTOL * max(1.0, sum(abs(x) for x in self.b)):
            raise _sum_error(self.name, "sum(b) =", sum(self.b), 1)
        for field in ("b_hat", "b_hat_low"):
            weights = getattr(self, field)
            if weights is None:
                continue
            if len(weights) != s:
                raise TableauError(f"tableau {self.name!r}: {field} must have {s} entries; got {len(weights)}")
            if abs(sum(weights) - 1.0) > CONSTRUCTION_RTOL * max(1.0, sum(abs(x) for x in weights)):
                raise _sum_error(self.name, f"sum({field}) =", sum(weights), 1)
        for field in ("b_hat", "b_hat_low"):
            check_estimate("tableau", self.name, field, getattr(self, field), self.b)
        if self.fsal:
            # The last stage is f(t + dt, y_new) (a[-1] = b, c[-1] = 1) and the first stage f(t, y)
            # (a[0] = 0): the last stage of an accepted step is the next step's first.
            if self.c[-1] != 1.0 or any(abs(x - y) > _TOL for x, y in zip(self.a[-1], self.b)) \
                    or any(self.a[0]):
                raise TableauError(
                    f"tableau {self.name!r}: fsal=True needs c[-1] = 1, a[-1] = b and a[0] = 0")
        check_claimed_orders("tableau", self.name, rk_conditions(self.a), [
            ("order", self.b, self.order), ("embedded_order", self.b_hat, self.embedded_order),
            ("embedded_order_low", self.b_hat_low, self.embedded_order_low)])

    # -- JSON ---------------------------------------------------------------
    def to_json(self) -> dict:
        """The tableau as plain JSON data."""
        return {"name": self.name, "a": [list(r) for r in self.a], "b": list(self.b), "c": list(self.c),
                "order": self.order, "b_hat": None if self.b_hat is None else list(self.b_hat),
                "embedded_order": self.embedded_order, "fsal": self.fsal,
                "b_hat_low": None if self.b_hat_low is None else list(self.b_hat_low),
                "embedded_order_low": self.embedded_order_low,
                # written only where it is not 1, so that a tableau without a scale stays readable where the key is
                # unknown (a version before 2026-12-06)
                **({"error_scale": self.error_scale} if self.error_scale != 1.0 else {})}

    @classmethod
    def from_json(cls, data: dict) -> "ButcherTableau":
        """Build (and validate) a tableau from :meth:`to_json`'s form (optional keys absent take their defaults:
        JSON written before ``error_scale`` existed loads with 1.0)."""
        if not isinstance(data, dict):
            raise TableauError(f"tableau JSON: expected an object; got {type(data).__name__}")
        allowed = set(_REQUIRED + _OPTIONAL)
        unknown = sorted(set(data) - allowed, key=str)
        if unknown:
            raise TableauError(f"tableau JSON: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
        missing = [key for key in _REQUIRED if key not in data]
        if missing:
            raise TableauError(f"tableau JSON: missing key(s) {missing}; required: {list(_REQUIRED)} (optional: "
                               f"{list(_OPTIONAL)})")
        return cls(**data)
