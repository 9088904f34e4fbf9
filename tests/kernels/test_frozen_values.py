"""A global or closure number a system's functions read is frozen by the compiler: a later change is refused."""

import math
import sys

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError, ODESystem

RATE = 1.0
TABLE = np.array([1.0, 2.0])
size = 1  # a global that shares its name with the attribute y.size below: not read by the function


def _sized(t, y, p, dydt):
    dydt[0] = -y[0] * y.size


def _decay(t, y, p, dydt):
    dydt[0] = -RATE * TABLE[0] * y[0]


@pytest.fixture
def restore_globals():
    yield
    global RATE
    RATE = 1.0
    TABLE[:] = (1.0, 2.0)


def test_a_changed_global_number_is_refused_and_named(restore_globals):
    global RATE
    system = ODESystem(_decay, 1)
    first = kernels.solve_ivp(system, (0.0, 0.5), [1.0], dt=0.05, method="rk4", progress=False)
    assert first.success
    RATE = 2.0
    with pytest.raises(ConfigurationError, match=r"global 'RATE'.*was 1\.0, now 2\.0.*params"):
        kernels.solve_ivp(system, (0.0, 0.5), [1.0], dt=0.05, method="rk4", progress=False)
    RATE = 1.0  # back to the built value: solves again
    assert kernels.solve_ivp(system, (0.0, 0.5), [1.0], dt=0.05, method="rk4", progress=False).success


def test_an_array_changed_in_place_is_refused(restore_globals):
    system = ODESystem(_decay, 1)
    TABLE[0] = 3.0
    with pytest.raises(ConfigurationError, match=r"global 'TABLE'"):
        kernels.solve_ivp(system, (0.0, 0.5), [1.0], dt=0.05, method="rk4", progress=False)


def test_a_rebound_closure_number_is_refused():
    def make():
        scale = 1.0

        def rhs(t, y, p, dydt):
            dydt[0] = -scale * y[0]

        def set_scale(value):
            nonlocal scale
            scale = value

        return rhs, set_scale

    rhs, set_scale = make()
    system = ODESystem(rhs, 1)
    set_scale(0.5)
    with pytest.raises(ConfigurationError, match=r"closure variable 'scale'.*was 1\.0, now 0\.5"):
        kernels.solve_ivp(system, (0.0, 0.5), [1.0], dt=0.05, method="rk4", progress=False)


def test_a_rebuilt_system_takes_the_new_value(restore_globals):
    global RATE
    RATE = 2.0
    result = kernels.solve_ivp(ODESystem(_decay, 1), (0.0, 1.0), [1.0], rtol=1e-9, atol=1e-12,
                                progress=False, precision=np.float64)
    assert abs(result.y[0, -1, 0] - np.exp(-2.0)) < 1e-7


def test_a_global_named_like_an_attribute_the_function_reads_is_not_its_value():
    global size
    system = ODESystem(_sized, 1)
    size = 5
    try:
        assert kernels.solve_ivp(system, (0.0, 0.5), [1.0], dt=0.05, method="rk4", progress=False).success
    finally:
        size = 1


RATES = (1.0, 2.0)


def _tupled(t, y, p, dydt):
    dydt[0] = -RATES[0] * y[0]


def _attribute(t, y, p, dydt):
    dydt[0] = -np.e * y[0] / np.e - 0.0 * math.pi  # attributes of modules: e and pi, numbers Numba freezes


def test_a_rebound_tuple_and_a_module_attribute_are_checked_too(monkeypatch):
    """A global tuple rebound (RATES[0]) and a module's number (cfg.LEVEL) were missed (a regression hunt)."""
    tupled, attributed = ODESystem(_tupled, 1), ODESystem(_attribute, 1)
    monkeypatch.setattr(sys.modules[__name__], "RATES", (3.0, 2.0))
    with pytest.raises(ConfigurationError, match=r"global 'RATES'.*was \(1\.0, 2\.0\), now \(3\.0, 2\.0\)"):
        kernels.solve_ivp(tupled, (0.0, 0.5), [1.0], dt=0.05, method="rk4", progress=False)
    assert kernels.solve_ivp(attributed, (0.0, 0.5), [1.0], dt=0.05, method="rk4", progress=False).success
    monkeypatch.setattr(math, "pi", 3.0)
    with pytest.raises(ConfigurationError, match=r"module attribute 'math.pi'.*was 3\.14159.*now 3\.0"):
        kernels.solve_ivp(attributed, (0.0, 0.5), [1.0], dt=0.05, method="rk4", progress=False)


NESTED = ((1.0, 2.0), (3.0,))


def _nested(t, y, p, dydt):
    dydt[0] = -NESTED[0][0] * y[0]


def test_nested_tuples_and_a_module_held_by_a_closure_are_checked(monkeypatch):
    """NESTED[0][0] rebound and ``import math as m`` in a factory, m.e changed, were missed (a regression hunt)."""
    def make():
        import math as m

        def held(t, y, p, dydt):
            dydt[0] = -y[0] * m.e / m.e

        return held

    nested, closure = ODESystem(_nested, 1), ODESystem(make(), 1)
    monkeypatch.setattr(sys.modules[__name__], "NESTED", ((5.0, 2.0), (3.0,)))
    with pytest.raises(ConfigurationError, match=r"global 'NESTED'"):
        kernels.solve_ivp(nested, (0.0, 0.5), [1.0], dt=0.05, method="rk4", progress=False)
    monkeypatch.setattr(math, "e", 3.0)
    with pytest.raises(ConfigurationError, match=r"module attribute 'm.e'"):
        kernels.solve_ivp(closure, (0.0, 0.5), [1.0], dt=0.05, method="rk4", progress=False)


WEIGHTS = np.zeros((10, 10))


def _coupled(t, y, p, dydt):
    dydt[0] = -WEIGHTS[0, 1] * y[0]


def test_a_large_array_changed_in_place_names_the_entry():
    """"it was an array of shape (10, 10), now an array of shape (10, 10)" said nothing (a user's trial)."""
    system = ODESystem(_coupled, 1)
    WEIGHTS[0, 1] = 2.0
    try:
        with pytest.raises(ConfigurationError, match=r"global 'WEIGHTS'.*its entry \[0, 1\] was 0\.0, now 2\.0"):
            kernels.solve_ivp(system, (0.0, 0.5), [1.0], dt=0.05, method="rk4", progress=False)
    finally:
        WEIGHTS[0, 1] = 0.0


OFFSETS = np.zeros(8)


def _offset(t, y, p, dydt):
    dydt[0] = OFFSETS[0] - y[0]


def test_an_array_whose_zeros_changed_sign_is_refused_with_a_message():
    """OFFSETS *= -1 made its zeros -0.0: changed bit for bit, equal by ==, and naming the entry raised IndexError
    (a regression hunt)."""
    system = ODESystem(_offset, 1)
    OFFSETS[:] = -0.0
    try:
        with pytest.raises(ConfigurationError, match=r"global 'OFFSETS', which changed .*it was an array of shape"):
            kernels.solve_ivp(system, (0.0, 0.5), [1.0], dt=0.05, method="rk4", progress=False)
    finally:
        OFFSETS[:] = 0.0


HEAT_CAPACITY = 12.7


def _energy_balance(t, y, p, dydt):
    """A one-box energy balance: ice albedo by math.tanh (Numba computes it in float32 in a float32 run), divided by
    the module-level heat capacity."""
    albedo = 0.4945 - 0.2055 * math.tanh((y[0] - 265.0) / 10.0)
    dydt[0] = (p[0] * 342.0 * (1.0 - albedo) - 0.61 * 5.67e-8 * y[0] ** 4) / HEAT_CAPACITY


def test_a_changed_global_is_refused_before_any_check_compares_the_live_rhs(monkeypatch):
    """A heat capacity changed between two float32 solves, as a notebook sweep does: the error that names it comes
    alone, with no PrecisionWarning from the float32 check comparing the frozen compiled rhs with the live one (a
    climate modeller's trial: dydt[0] "1.7 compiled, 4.32 in float64")."""
    import warnings

    system = ODESystem(_energy_balance, n_states=1, n_params=1, name="energy_balance_frozen")
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.PrecisionWarning)
        kernels.solve_ivp(system, (0.0, 10.0), [[220.0], [300.0]], [[1.0], [1.0]], progress=False)
    monkeypatch.setattr(sys.modules[__name__], "HEAT_CAPACITY", 5.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ConfigurationError, match=r"global 'HEAT_CAPACITY', which changed.*was 12\.7, now 5\.0"):
            kernels.solve_ivp(system, (0.0, 10.0), [[220.0], [300.0]], [[1.0], [1.0]], progress=False)
    assert not [w for w in caught if issubclass(w.category, kernels.PrecisionWarning)], [str(w.message) for w in caught]
