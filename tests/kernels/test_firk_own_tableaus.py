"""FIRK tableaus of one's own (``kernels.Method(name, 'firk', tableau)``): the shapes the step runs, the ones it refuses.

The step solves the implicit stages together and runs an explicit first stage only as radau's padded one,
which carries no weight; Newton's first guess extrapolates a collocation polynomial that needs distinct
nonzero nodes (:func:`kernels.steps.firk._guess_basis`).  float64, fixed steps on ``y' = -y``.
"""

import math
from fractions import Fraction as F

import numpy as np
import pytest

import kernels
from kernels import ButcherTableau
from kernels.errors import ConfigurationError
from kernels.steps import FIRKStepSettings


def _decay(t, y, p, dydt):
    dydt[0] = -y[0]


DECAY = kernels.ODESystem(_decay, n_states=1, name="decay")

LOBATTO_IIIA = ButcherTableau("lobatto3a", a=[[0, 0, 0], [F(5, 24), F(1, 3), F(-1, 24)], [F(1, 6), F(2, 3), F(1, 6)]],
                              b=[F(1, 6), F(2, 3), F(1, 6)], c=[0, F(1, 2), 1], order=4)
LOBATTO_IIIB = ButcherTableau("lobatto3b", a=[[F(1, 6), F(-1, 6), 0], [F(1, 6), F(1, 3), 0],
                                              [F(1, 6), F(5, 6), 0]],
                              b=[F(1, 6), F(2, 3), F(1, 6)], c=[0, F(1, 2), 1], order=4)
LOBATTO_IIIC = ButcherTableau("lobatto3c", a=[[F(1, 2), F(-1, 2)], [F(1, 2), F(1, 2)]], b=[F(1, 2), F(1, 2)],
                              c=[0, 1], order=2)
REPEATED_NODES = ButcherTableau("repeated", a=[[0, F(1, 2)], [F(1, 2), 0]], b=[F(1, 2), F(1, 2)],
                                c=[F(1, 2), F(1, 2)], order=2)


def _final_errors(tableau, counts):
    errors = []
    for n in counts:
        result = kernels.solve_ivp(DECAY, (0.0, 1.0), [1.0], method=kernels.Method(tableau.name, "firk", tableau),
                                   dt=1.0 / n, controller="fixed", rtol=1e-12, atol=1e-14, precision=np.float64,
                                   progress=False)
        assert result.success and result.n_steps[0] == n
        errors.append(abs(result.y[0, -1, 0] - math.exp(-1.0)))
    return errors


@pytest.mark.parametrize("tableau", [LOBATTO_IIIC, REPEATED_NODES], ids=lambda t: t.name)
def test_a_node_at_zero_or_repeated_nodes_run_at_their_order(tableau):
    """Both died in the build with numpy's "Singular matrix" (the first guess's Vandermonde matrix, a user's
    trial); Newton now starts from Z = 0 there, and the slope of log error against log dt is the order."""
    counts = (10, 20, 40)
    errors = _final_errors(tableau, counts)
    slope = np.polyfit(np.log(1.0 / np.array(counts)), np.log(errors), 1)[0]
    assert abs(slope - tableau.order) < 0.3, (slope, errors)


def test_a_weighted_explicit_first_stage_is_refused_naming_its_entries():
    """Lobatto IIIA ran with success to an error of 0.067 at every dt: the step dropped its explicit first
    stage, whose column a[1:, 0] and weight b[0] are not 0 (a user's trial)."""
    with pytest.raises(ConfigurationError, match=r"^kernels.Method family 'firk': the tableau 'lobatto3a' has an "
                                                 r"explicit first stage .* a\[1\]\[0\] = 0.208333 \(5/24\), "
                                                 r"a\[2\]\[0\] = 0.166667 \(1/6\), b\[0\] = 0.166667 \(1/6\) are "
                                                 r"not 0\. .*take a built-in FIRK method \(radau, gauss4\)$"):
        kernels.Method("lobatto3a", "firk", LOBATTO_IIIA)
    with pytest.raises(ConfigurationError, match=r"^FIRKStepSettings tableau: the tableau 'lobatto3a' has an "):
        FIRKStepSettings(LOBATTO_IIIA, n_states=1, estimate_error=False)


def test_a_singular_implicit_block_is_refused_when_the_method_is_made():
    """Lobatto IIIB's zero last column makes A singular: the step's inverse of it failed in the build."""
    with pytest.raises(ConfigurationError, match=r"^kernels.Method family 'firk': the implicit stages \[0, 1, 2\] of "
                                                 r"the tableau 'lobatto3b' have a singular block of a"):
        kernels.Method("lobatto3b", "firk", LOBATTO_IIIB)


def test_the_built_in_firk_tableaus_are_not_refused():
    for name in ("radau", "gauss4"):
        assert kernels.Method(name, "firk", kernels.METHODS[name].tableau).family == "firk"
