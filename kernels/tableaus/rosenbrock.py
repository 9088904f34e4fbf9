"""Rosenbrock (linearly implicit) methods as immutable, validated data.

A Rosenbrock method with ``s`` stages solves, per step, linear systems with one
matrix ``W = I / (h gamma) - J`` (factored once per step and reused by every
stage).  The tableau is stored in the form a step uses, Hairer & Wanner,
"Solving ODEs II" (1996), sec. IV.7, eq. (7.25) (the "Rodas form")::

    W u_i = f(t + c_i h, y + sum_{j<i} a_ij u_j) + sum_{j<i} (C_ij / h) u_j + d_i h f_t
    y_new = y + sum_i m_i u_i,      y_hat = y + sum_i m_hat_i u_i

The classical form (7.4), ``(I - h gamma J) k_i = h f(t + alpha_i h, y + sum alpha_ij k_j)
+ h J sum gamma_ij k_j + gamma_i h^2 f_t``, ``y_new = y + sum b_i k_i``, is derived:
``Gamma = (gamma_ij)`` (lower triangular, ``gamma_ii = gamma``) is
``(diag(1/gamma) - C)**-1``, ``alpha = a Gamma``, ``b = m Gamma``, and the
nodes and time-derivative weights are the row sums ``c_i = sum_j alpha_ij``,
``d_i = sum_j gamma_ij``: construction checks both against the ``c`` and ``d``
given, that ``sum(b) = sum(b_hat) = 1``, and that ``b`` and ``b_hat`` reach the
orders claimed (:mod:`kernels.tableaus.conditions`, exact Jacobian).  The module
imports no Numba.
"""

from __future__ import annotations

import dataclasses
import math
import numbers

from ..errors import TableauError
from .base import _floats, check_estimate, check_name, check_orders, rows_of
from .conditions import blind_on_linear, check_claimed_orders, rosenbrock_conditions

__all__ = ["RosenbrockTableau", "ROS3P", "RODAS4", "RODAS5P", "ROSENBROCK"]

_TOL = 1e-12


def _square_lower(rows, s, what, name):
    """Pad ``rows`` to an s x s strictly lower-triangular tuple of tuples (raising on anything else)."""
    rows = rows_of(rows, what, "Rosenbrock tableau", name)
    if len(rows) != s:
        raise TableauError(f"Rosenbrock tableau {name!r}: {what} must have one row per stage ({s}); "
                           f"got {len(rows)}")
    out = []
    for i, row in enumerate(rows):
        row = _floats(row, f"row {i} of {what}", name)
        row = row + (0.0,) * (s - len(row)) if len(row) <= s else row
        if len(row) != s or any(row[j] != 0.0 for j in range(i, s)):
            raise TableauError(f"Rosenbrock tableau {name!r}: {what} must be strictly lower triangular "
                               f"(row {i} nonzero only in its first {i} entries); got {row!r}")
        out.append(row)
    return tuple(out)


def _gamma(value, name):
    """``value`` as a finite float > 0 (NumPy numbers too); TableauError for anything else (bool and str too)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TableauError(f"Rosenbrock tableau {name!r}: gamma must be a number (finite, > 0); got {value!r}")
    if not (value > 0.0 and math.isfinite(value)):
        raise TableauError(f"Rosenbrock tableau {name!r}: gamma must be a finite number > 0; got {value!r}")
    return float(value)


def _lower_inverse(m):
    """Inverse of a lower-triangular matrix with nonzero diagonal (pure Python, exact up to rounding)."""
    s = len(m)
    inv = [[0.0] * s for _ in range(s)]
    for i in range(s):
        inv[i][i] = 1.0 / m[i][i]
        for j in range(i):
            inv[i][j] = -sum(m[i][k] * inv[k][j] for k in range(j, i)) / m[i][i]
    return tuple(tuple(r) for r in inv)


def _vec_mat(v, m):
    return tuple(sum(v[k] * m[k][j] for k in range(len(v))) for j in range(len(m[0])))


def _mat_mat(x, y):
    return tuple(_vec_mat(row, y) for row in x)


@dataclasses.dataclass(frozen=True)
class RosenbrockTableau:
    """A Rosenbrock method in Hairer & Wanner's implementation form (eq. (7.25)).

    Parameters
    ----------
    name : str
        Public method name.
    gamma : float
        The diagonal ``gamma`` (> 0): every stage solves with ``I / (h gamma) - J``.
    a : tuple of tuple of float
        Stage-argument coefficients ``a_ij`` (strictly lower triangular; short rows are padded).
    C : tuple of tuple of float
        Coupling coefficients ``C_ij`` of ``u_j / h`` (strictly lower triangular).
    c : tuple of float
        Nodes: stage ``i`` evaluates ``f`` at ``t + c_i h`` (the classical ``alpha_i``).
    d : tuple of float
        Time-derivative weights ``d_i`` (the classical ``gamma_i``) of ``h f_t``.
    m, m_hat : tuple of float
        Weights of the ``u_i`` in the solution and in the embedded solution.
    order, embedded_order : int
        Orders of the solution and of the embedded solution.

    Raises
    ------
    TableauError
        Shapes that do not agree, a matrix that is not strictly lower
        triangular, ``gamma <= 0``, nodes or ``d`` that are not the row sums
        of the derived ``alpha`` and ``Gamma``, weights that do not sum to 1,
        ``m_hat`` equal to ``m``, or weights that do not reach the order
        claimed for them.
    """

    name: str
    gamma: float
    a: tuple
    C: tuple
    c: tuple
    d: tuple
    m: tuple
    m_hat: tuple
    order: int
    embedded_order: int

    def __post_init__(self) -> None:
        check_name(self.name, "Rosenbrock tableau")
        object.__setattr__(self, "gamma", _gamma(self.gamma, self.name))
        m = _floats(self.m, "m", self.name)
        s = len(m)
        if s == 0:  # was a bare IndexError (an integrator developer's trial)
            raise TableauError(f"Rosenbrock tableau {self.name!r} has no stages: m is empty; give one entry of m, "
                               "c, d and m_hat and one row of a and C per stage (at least one)")
        object.__setattr__(self, "m", m)
        for field in ("c", "d", "m_hat"):
            values = _floats(getattr(self, field), field, self.name)
            if len(values) != s:
                raise TableauError(f"Rosenbrock tableau {self.name!r}: {field} must have one entry per "
                                   f"stage ({s}, the length of m); got {len(values)}")
            object.__setattr__(self, field, values)
        object.__setattr__(self, "a", _square_lower(self.a, s, "a", self.name))
        object.__setattr__(self, "C", _square_lower(self.C, s, "C", self.name))
        orders = check_orders("Rosenbrock tableau", self.name, [("order", self.order, 1),
                                                                ("embedded_order", self.embedded_order, 1)])
        object.__setattr__(self, "order", orders[0])
        object.__setattr__(self, "embedded_order", orders[1])
        self.check()

    # -- derived classical form ---------------------------------------------------
    @property
    def stages(self) -> int:
        """Number of stages (linear solves per step)."""
        return len(self.m)

    @property
    def adaptive(self) -> bool:
        """Always True: every Rosenbrock method here has an embedded solution."""
        return True

    @property
    def error_order(self) -> int:
        """Order used by step-size controllers: ``min(order, embedded_order)``."""
        return min(self.order, self.embedded_order)

    @property
    def error_weights(self) -> tuple:
        """``m - m_hat``: the error estimate is ``sum((m - m_hat) u)``."""
        return tuple(x - y for x, y in zip(self.m, self.m_hat))

    @property
    def estimate_blind_on_linear(self) -> bool:
        """True when the embedded estimate is 0 on every linear constant-coefficient autonomous problem
        (:func:`kernels.tableaus.conditions.blind_on_linear` on ``alpha + Gamma``): ROS3P's is."""
        matrix = tuple(tuple(x + y for x, y in zip(r, g)) for r, g in zip(self.alpha, self.gamma_matrix))
        return blind_on_linear(matrix, tuple(x - y for x, y in zip(self.b, self.b_hat)))

    @property
    def gamma_matrix(self) -> tuple:
        """The classical ``Gamma = (gamma_ij)``, lower triangular with ``gamma`` on the diagonal."""
        s = self.stages
        w = tuple(tuple((1.0 / self.gamma if i == j else 0.0) - self.C[i][j] for j in range(s))
                  for i in range(s))
        return _lower_inverse(w)

    @property
    def alpha(self) -> tuple:
        """The classical stage coefficients ``alpha = a Gamma`` (strictly lower triangular)."""
        return _mat_mat(self.a, self.gamma_matrix)

    @property
    def b(self) -> tuple:
        """The classical solution weights ``b = m Gamma``."""
        return _vec_mat(self.m, self.gamma_matrix)

    @property
    def b_hat(self) -> tuple:
        """The classical embedded weights ``b_hat = m_hat Gamma``."""
        return _vec_mat(self.m_hat, self.gamma_matrix)

    # -- checks --------------------------------------------------------------------
    def check(self) -> None:
        """Raise :class:`TableauError` unless the tableau is consistent.

        The tolerances scale with the rounding the derived form can carry:
        ``|a| |Gamma|`` for ``alpha``, ``|Gamma| |W| |Gamma|`` for ``Gamma =
        W**-1`` (``W = diag(1/gamma) - C``) and ``|m| |Gamma|`` for the weights.
        """
        s = self.stages
        gamma_matrix = self.gamma_matrix
        alpha = _mat_mat(self.a, gamma_matrix)
        g_abs = tuple(tuple(abs(x) for x in row) for row in gamma_matrix)
        w_abs = tuple(tuple(abs((1.0 / self.gamma if i == j else 0.0) - self.C[i][j]) for j in range(s))
                      for i in range(s))
        alpha_scale = _mat_mat(tuple(tuple(abs(x) for x in row) for row in self.a), g_abs)
        gamma_scale = _mat_mat(_mat_mat(g_abs, w_abs), g_abs)
        for i in range(s):
            if abs(sum(alpha[i]) - self.c[i]) > _TOL * (1.0 + sum(alpha_scale[i]) + sum(gamma_scale[i])):
                raise TableauError(f"Rosenbrock tableau {self.name!r}: c[{i}] = {self.c[i]!r} but row {i} of "
                                   f"alpha = a Gamma sums to {sum(alpha[i])!r}")
            if abs(sum(gamma_matrix[i]) - self.d[i]) > _TOL * (1.0 + sum(gamma_scale[i])):
                raise TableauError(f"Rosenbrock tableau {self.name!r}: d[{i}] = {self.d[i]!r} but row {i} of "
                                   f"Gamma sums to {sum(gamma_matrix[i])!r}")
        for field, m in (("b", self.m), ("b_hat", self.m_hat)):
            weights = _vec_mat(m, gamma_matrix)
            scale = sum(_vec_mat(tuple(abs(x) for x in m), g_abs)) + sum(sum(row) for row in gamma_scale)
            if abs(sum(weights) - 1.0) > _TOL * (1.0 + scale):
                raise TableauError(f"Rosenbrock tableau {self.name!r}: the classical weights {field} sum to "
                                   f"{sum(weights)!r}, expected 1 (check m / m_hat against C)")
        check_estimate("Rosenbrock tableau", self.name, "m_hat", self.m_hat, self.m)
        check_claimed_orders("Rosenbrock tableau", self.name, rosenbrock_conditions(alpha, gamma_matrix), [
            ("order", _vec_mat(self.m, gamma_matrix), self.order),
            ("embedded_order", _vec_mat(self.m_hat, gamma_matrix), self.embedded_order)])

    # -- construction from the classical form and JSON -------------------------------
    @classmethod
    def from_classical(cls, name, gamma, alpha, gamma_offdiag, b, b_hat, order, embedded_order):
        """Build the tableau from the classical form (7.4): ``alpha``, ``gamma_ij`` (j < i), ``b``, ``b_hat``."""
        check_name(name, "Rosenbrock tableau")
        b, b_hat, gamma = _floats(b, "b", name), _floats(b_hat, "b_hat", name), _gamma(gamma, name)
        s = len(b)
        if len(b_hat) != s:
            raise TableauError(f"Rosenbrock tableau {name!r}: b_hat must have one entry per stage ({s}, the "
                               f"length of b); got {len(b_hat)}")
        alpha = _square_lower(alpha, s, "alpha", name)
        off = _square_lower(gamma_offdiag, s, "gamma_offdiag", name)
        big = tuple(tuple(gamma if i == j else off[i][j] for j in range(s)) for i in range(s))
        inv = _lower_inverse(big)
        c_matrix = tuple(tuple((1.0 / gamma if i == j else 0.0) - inv[i][j] for j in range(s)) for i in range(s))
        return cls(
            name=name, gamma=gamma, a=_mat_mat(alpha, inv),
            C=tuple(tuple(c_matrix[i][j] if j < i else 0.0 for j in range(s)) for i in range(s)),
            c=tuple(sum(row) for row in alpha), d=tuple(sum(row) for row in big),
            m=_vec_mat(b, inv), m_hat=_vec_mat(b_hat, inv),
            order=order, embedded_order=embedded_order,
        )

    def to_json(self) -> dict:
        """The tableau as plain JSON data."""
        return {"name": self.name, "gamma": self.gamma, "a": [list(r) for r in self.a],
                "C": [list(r) for r in self.C], "c": list(self.c), "d": list(self.d), "m": list(self.m),
                "m_hat": list(self.m_hat), "order": self.order, "embedded_order": self.embedded_order}

    @classmethod
    def from_json(cls, data: dict) -> "RosenbrockTableau":
        """Build (and validate) a tableau from :meth:`to_json`'s form."""
        if not isinstance(data, dict):
            raise TableauError(f"Rosenbrock tableau JSON: expected an object; got {type(data).__name__}")
        allowed = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - allowed)
        missing = sorted(allowed - set(data))
        if unknown or missing:
            raise TableauError(f"Rosenbrock tableau JSON: unknown key(s) {unknown}, missing key(s) {missing}; "
                               f"expected exactly {sorted(allowed)}")
        return cls(**data)


# ROS3P: Lang & Verwer, "ROS3P - an accurate third-order Rosenbrock solver designed for parabolic
# problems", BIT 41 (2001), 731-738: 3 stages, order 3 (no order reduction for parabolic problems),
# embedded order 2, gamma = 1/2 + sqrt(3)/6; given there in the classical form.  Second source:
# diffrax/_solver/ros3p.py and OrdinaryDiffEq.jl's ROS3PTableau (the implementation form).
# A-stable, not L-stable: R(inf) = R_hat(inf) = 1 - sqrt(3), so the error estimate is blind to the
# stiff components the method leaves undamped (the README says which method to take instead).
_G = 0.5 + math.sqrt(3.0) / 6.0
ROS3P = RosenbrockTableau.from_classical(
    "ros3p", _G,
    alpha=((), (1.0,), (1.0, 0.0)),
    gamma_offdiag=((), (-1.0,), (-_G, 0.5 - 2.0 * _G)),
    b=(2.0 / 3.0, 0.0, 1.0 / 3.0),
    b_hat=(1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0),
    order=3, embedded_order=2,
)

# RODAS4: Hairer & Wanner (1996) and their code RODAS (METH = 1): 6 stages, order 4, embedded 3,
# stiffly accurate: stage 6's argument is the embedded solution and y_new adds u_6, so
# m = a[5] + e_6 and m_hat = a[5].  Second source: diffrax/_solver/rodas4.py (same printed digits).
_R4_A5 = (1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950, 1.0)
RODAS4 = RosenbrockTableau(
    name="rodas4", gamma=0.25,
    a=(
        (),
        (1.544,),
        (0.9466785280815826, 0.2557011698983284),
        (3.314825187068521, 2.896124015972201, 0.9986419139977817),
        _R4_A5[:4],
        _R4_A5,
    ),
    C=(
        (),
        (-5.6688,),
        (-2.430093356833875, -0.2063599157091915),
        (-0.1073529058151375, -9.594562251023355, -20.47028614809616),
        (7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160),
        (8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054),
    ),
    c=(0.0, 0.386, 0.21, 0.63, 1.0, 1.0),
    d=(0.25, -0.1043, 0.1035, -0.0362, 0.0, 0.0),
    m=_R4_A5 + (1.0,),
    m_hat=_R4_A5 + (0.0,),
    order=4, embedded_order=3,
)

# RODAS5P: Steinebach, "Construction of Rosenbrock-Wanner method Rodas5P and numerical benchmarks
# within the Julia Differential Equations package", BIT 63 (2023), 27: 8 stages, order 5, embedded 4,
# stiffly accurate (m = a[7] + e_8, m_hat = a[7]); values as in OrdinaryDiffEq.jl's Rodas5PTableau
# (contributed by the author).  Second source: diffrax/_solver/rodas5p.py (a, C, alpha, gamma).
_R5_A5 = (-7.502846399306121, 2.561846144803919, -11.627539656261098, -0.18268767659942256,
          0.030198172008377946)
RODAS5P = RosenbrockTableau(
    name="rodas5p", gamma=0.21193756319429014,
    a=(
        (),
        (3.0,),
        (2.849394379747939, 0.45842242204463923),
        (-6.954028509809101, 2.489845061869568, -10.358996098473584),
        (2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641),
        _R5_A5,
        _R5_A5 + (1.0,),
        _R5_A5 + (1.0, 1.0),
    ),
    C=(
        (),
        (-14.155112264123755,),
        (-17.97296035885952, -2.859693295451294),
        (147.12150275711716, -1.41221402718213, 71.68940251302358),
        (165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306),
        (24.854864614690072, -3.0009227002832186, 47.4931110020768, 5.5814197821558125, -0.6610691825249471),
        (30.91273214028599, -3.1208243349937974, 77.79954646070892, 34.28646028294783, -19.097331116725623,
         -28.087943162872662),
        (37.80277123390563, -3.2571969029072276, 112.26918849496327, 66.9347231244047, -40.06618937091002,
         -54.66780262877968, -9.48861652309627),
    ),
    c=(0.0, 0.6358126895828704, 0.4095798393397535, 0.9769306725060716, 0.4288403609558664, 1.0, 1.0, 1.0),
    d=(0.21193756319429014, -0.42387512638858027, -0.3384627126235924, 1.8046452872882734, 2.325825639765069,
       0.0, 0.0, 0.0),
    m=_R5_A5 + (1.0, 1.0, 1.0),
    m_hat=_R5_A5 + (1.0, 1.0, 0.0),
    order=5, embedded_order=4,
)

ROSENBROCK = (ROS3P, RODAS4, RODAS5P)
