"""The warning for tolerances below the precision's resolution cites the run's own precision: a float64 run at
rtol 1e-16 was told of float32's Robertson and "float32 still ended 7 to 75 tolerances off" (kernels/tolerances.py)."""

import numpy as np
import pytest

import kernels


def _decay(t, y, p, dydt):
    dydt[0] = -y[0]


DECAY = kernels.ODESystem(_decay, 1, name="decay_tolerance_words")


def _warned(precision, tol):
    """The ToleranceWarnings of a short decay at rtol = atol = ``tol`` in ``precision``."""
    with pytest.warns(kernels.ToleranceWarning) as record:
        kernels.solve_ivp(DECAY, (0.0, 0.1), [1.0], rtol=tol, atol=tol, precision=precision, progress=False)
    return [str(w.message) for w in record if issubclass(w.category, kernels.ToleranceWarning)]


def test_float64_below_eps_is_told_float64_facts_only():
    said = _warned(np.float64, 1e-16)
    assert len(said) == 1 and said[0].startswith("rtol=1e-16 and atol=1e-16 ask for errors below float64's "
                                                 "resolution for y[:, 0]"), said
    assert "float32" not in said[0] and "Robertson" not in said[0], said[0]
    assert ("a circular Kepler orbit over two periods at rtol = atol = 1e-16: 107 with vern9 to 383 with tsit5"
            in said[0])
    # the remedy agrees with float64's floor warning (50 eps), and names no wider precision
    assert "float64 is the widest precision: use rtol >= 1.2e-14 (its rounding leaves about 50 eps" in said[0]
    assert "precision=np.float64" not in said[0]


def test_float32_below_eps_keeps_its_float32_words():
    said = _warned(np.float32, 1e-8)
    assert any("(3e4: kvaerno5 on Robertson at rtol 1e-8 in float32), with status success; use precision=np.float64, "
               "or rtol >= 1e-05" in text and "float32 still ended 7 to 75 tolerances off" in text
               for text in said), said
