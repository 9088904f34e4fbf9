"""Float literals of a user's model take the working precision (kernels/literals.py).

A float32 kernel's right-hand side compiles with no float64 instruction (PTX, no
GPU needed), ``literals="as written"`` brings them back, and the rewritten
functions keep their closures, defaults, globals and calls: results match SciPy
to float32 rounding.  Functions without source are compiled as written.
"""

import functools
import json
import math
import sys
import warnings

import numpy as np
import pytest
from numba import cuda
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_helpers import run_on_cuda_target
from scipy.integrate import solve_ivp as scipy_solve_ivp

import kernels
from benchmarks.floor_problems import lorenz96_rhs
from kernels import ConfigurationError, ODESystem
from kernels.literals import in_precision
from kernels.resources import ptxas_path

DAMPING = 0.25  # a module-level Python float: Numba would freeze it as a float64 constant


@cuda.jit(device=True)
def _spring(x, gain=2.0):  # a device helper with a default, called from the rhs
    return -gain * x


def _make_forced(omega):
    half = 0.5 * omega  # a closure Python float

    def forced(t, y, p, dydt):
        dydt[0] = y[1]
        dydt[1] = _spring(y[0]) - DAMPING * y[1] + 0.1 * math.cos(half * np.float32(t))

    return forced


def _with_defaults(t, y, p, dydt, scale=3.0, *, shift=1.0):
    dydt[0] = scale * y[0] + 0.5 * shift


def _make_scaled(c):
    def scaled(t, y, p, dydt):
        dydt[0] = c * y[0] + 0.5 * y[1]
        dydt[1] = y[0]

    return scaled


# -- the rewrite, on the host ------------------------------------------------------------------------
def test_rewritten_copy_keeps_name_arguments_defaults_and_closure():
    forced = _make_forced(3.0)
    copy = in_precision(forced, np.float32)
    assert copy is not forced and copy.__name__ == forced.__name__
    y, out, ref = np.array([0.3, -0.2]), np.zeros(2), np.zeros(2)
    copy(0.7, y, np.zeros(0), out)
    forced(0.7, y, np.zeros(0), ref)
    np.testing.assert_allclose(out, ref, rtol=1e-6)
    copy = in_precision(_with_defaults, np.float32)
    assert copy is not _with_defaults
    assert (copy.__defaults__, copy.__kwdefaults__) == ((3.0,), {"shift": 1.0})
    copy(0.0, y, None, out)
    assert out[0] == 3.0 * 0.3 + 0.5 * 1.0


def test_float64_and_functions_without_source_are_used_as_written():
    forced = _make_forced(3.0)
    assert in_precision(forced, np.float64) is forced
    scope = {}
    exec("def made(t, y, p, dydt):\n    dydt[0] = 2.0 * y[0]\n", scope)  # noqa: S102 - no source to read
    assert in_precision(scope["made"], np.float32) is scope["made"]
    quick = lambda t, y, p, dydt: None  # noqa: E731
    assert in_precision(quick, np.float32) is quick
    assert in_precision(math.sin, np.float32) is math.sin

    @functools.wraps(_with_defaults)
    def wrapper(t, y, p, dydt):
        _with_defaults(t, y, p, dydt, 2.0)

    assert in_precision(wrapper, np.float32) is wrapper  # its source would be the wrapped function's


def test_a_module_edited_since_its_import_is_compiled_as_loaded_with_a_warning(tmp_path, monkeypatch):
    """A same-line edit on disk (-2.0 to -5.0, not reloaded) kept the name and arguments: the float32 kernel was
    built from the edited file, exp(-5) where Python and float64 ran exp(-2), without a word (a user's trial)."""
    source = tmp_path / "edited_model.py"
    source.write_text("def rhs(t, y, p, dydt):\n    dydt[0] = -2.0 * y[0]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import edited_model

    monkeypatch.delitem(sys.modules, "edited_model")
    source.write_text("def rhs(t, y, p, dydt):\n    dydt[0] = -5.0 * y[0]\n")  # edited, not reloaded
    system = ODESystem(edited_model.rhs, 1, name="edited", check=False)
    with pytest.warns(kernels.PrecisionWarning, match=r"edited_model\.py was edited since edited_model was "
                      r"imported.*importlib\.reload\(edited_model\)"):
        result = kernels.solve_ivp(system, (0.0, 1.0), np.ones((1, 1)), method="rk4", dt=0.05, precision=np.float32)
    np.testing.assert_allclose(result.y[0, -1, 0], np.exp(-2.0), rtol=1e-5)


def _imported_then_edited(tmp_path, monkeypatch, name, loaded, edited):
    """The module ``name`` imported from ``loaded`` and its file then rewritten as ``edited`` (not reloaded)."""
    import importlib

    source = tmp_path / f"{name}.py"
    source.write_text(loaded)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(name)
    monkeypatch.delitem(sys.modules, name)
    if edited is not None:
        source.write_text(edited)
    return module


def _solved_in_float32(rhs):
    system = ODESystem(rhs, 1, name="edits", check=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = kernels.solve_ivp(system, (0.0, 1.0), np.ones((1, 1)), method="rk4", dt=0.05, precision=np.float32)
    return result, [w for w in caught if issubclass(w.category, kernels.StaleSourceWarning)]


_LOADED = "def other():\n    pass\n\ndef rhs(t, y, p, dydt):\n    dydt[0] = -2.0 * y[0]\n"


@pytest.mark.parametrize("name, edited", [
    ("renamed_model", "def other():\n    pass\n\ndef rhs(t, y, params, dydt):\n    dydt[0] = -5.0 * y[0]\n"),
    ("moved_model", "def other():\n    x = 1\n    pass\n\ndef rhs(t, y, p, dydt):\n    dydt[0] = -5.0 * y[0]\n"),
    ("relit_model", "def other():\n    pass\n\ndef rhs(t, y, p, dydt):\n    dydt[0] = -5.0 * y[0]\n"),
], ids=["argument-renamed", "moved-and-edited", "same-line-edit"])
def test_an_edit_that_renames_an_argument_or_moves_the_function_warns_once_at_the_users_call(
        tmp_path, monkeypatch, name, edited):
    """A renamed argument or a line added above the function sent it to float64 literals with a debug log only, and
    a same-line edit warned twice (the kernel and the range check read the rhs), pointing into kernels (a regression
    hunt)."""
    module = _imported_then_edited(tmp_path, monkeypatch, name, _LOADED, edited)
    result, stale = _solved_in_float32(module.rhs)
    assert len(stale) == 1 and stale[0].filename == __file__, [(w.filename, w.lineno) for w in stale]
    assert "was edited since" in str(stale[0].message)
    np.testing.assert_allclose(result.y[0, -1, 0], np.exp(-2.0), rtol=1e-5)  # the code Python loaded


def test_two_systems_of_one_edited_function_warn_once_for_the_function(tmp_path, monkeypatch):
    """The StaleSourceWarning's record is keyed on the function (kernels/literals.py), whose stale source it names:
    a second system built of it, as a loop that builds a system a solve does, is not told again."""
    module = _imported_then_edited(tmp_path, monkeypatch, "twice_built_model", _LOADED, _LOADED.replace("-2.0", "-5.0"))
    first, first_stale = _solved_in_float32(module.rhs)
    second, second_stale = _solved_in_float32(module.rhs)
    assert (len(first_stale), len(second_stale)) == (1, 0)
    np.testing.assert_allclose(second.y[0, -1, 0], np.exp(-2.0), rtol=1e-5)


def test_a_function_that_only_moved_in_its_file_keeps_its_float32_literals(tmp_path, monkeypatch):
    """A line added above an unchanged function: it compiles to the same code where it now is, so its literals are
    rewritten (they were left float64 without a word)."""
    moved = "def other():\n    x = 1\n    pass\n\ndef rhs(t, y, p, dydt):\n    dydt[0] = -2.0 * y[0]\n"
    module = _imported_then_edited(tmp_path, monkeypatch, "only_moved_model", _LOADED, moved)
    result, stale = _solved_in_float32(module.rhs)
    assert stale == []
    assert in_precision(module.rhs, np.float32) is not module.rhs
    np.testing.assert_allclose(result.y[0, -1, 0], np.exp(-2.0), rtol=1e-5)


def test_a_function_nested_in_a_method_reading_a_private_name_is_rewritten_without_a_warning(
        tmp_path, monkeypatch):
    """``__rate`` bound in ``Model.system`` and read by its nested rhs is ``_Model__rate`` in the code: the check
    compiled the source outside the class and called the unedited file edited, twice (a regression hunt)."""
    module = _imported_then_edited(tmp_path, monkeypatch, "private_model", (
        "import kernels\n"
        "class Model:\n"
        "    def __init__(self, rate):\n"
        "        self.rate = rate\n"
        "    def system(self):\n"
        "        __rate = float(self.rate)\n"
        "        def rhs(t, y, p, dydt):\n"
        "            dydt[0] = -__rate * 2.0 * y[0]\n"
        "        return rhs\n"), None)
    rhs = module.Model(0.5).system()
    result, stale = _solved_in_float32(rhs)
    assert stale == [], [str(w.message) for w in stale]
    copy = in_precision(rhs, np.float32)
    assert copy is not rhs and all(type(c.cell_contents) is np.float32 for c in copy.__closure__)
    np.testing.assert_allclose(result.y[0, -1, 0], np.exp(-1.0), rtol=1e-5)


@settings(max_examples=60, deadline=None)
@given(c=st.floats(allow_nan=False, allow_infinity=False))
def test_a_closure_float_becomes_its_float32_value_unless_float32_cannot_hold_it(c):
    scaled = _make_scaled(c)
    y, out = np.array([1.0, 2.0]), np.zeros(2)
    in_precision(scaled, np.float32)(0.0, y, np.zeros(0), out)
    with np.errstate(over="ignore", under="ignore"):
        held = np.float32(c)
    if np.isfinite(held) and (held != 0 or c == 0) and abs(float(held)) >= np.finfo(np.float32).tiny or c == 0:
        assert out[0] == float(held) * 1.0 + 0.5 * 2.0
    else:
        assert out[0] == c * 1.0 + 0.5 * 2.0


def _seasonal_phase(t, y, p, dydt):
    dydt[0] = math.sin(2.0 * math.pi * t / 365.0) + np.pi * y[0]


def test_a_modules_float_constant_stays_float64_on_the_simulator_as_on_a_gpu():
    """Numba types math.pi as float64; on the simulator, as a Python float beside a float32 2.0, NumPy 2 rounded
    it to float32, and a seasonal model from t = 7.4e5 ended 24 to 54 tolerances off there only (a user's
    trial: the phase 2 pi t / 365 was 3e-4 rad off)."""
    out = np.zeros(1, np.float32)
    copy = in_precision(_seasonal_phase, np.float32)
    copy(np.float64(738000.3), np.zeros(1, np.float32), np.zeros(0, np.float32), out)
    assert out[0] == np.float32(math.sin(2.0 * math.pi * 738000.3 / 365.0))
    assert set(copy.__code__.co_freevars) >= {"_bufferplan_literal_0", "_bufferplan_literal_1"}
    constants = [cell.cell_contents for cell in copy.__closure__]
    assert any(type(c) is np.float64 and c == math.pi for c in constants)
    assert any(type(c) is np.float32 and c == 2.0 for c in constants)


def _phase_factory():
    import math as m

    def phase(t, y, p, dydt):
        dydt[0] = m.sin(2.0 * m.pi * t / 365.0)

    return phase


def test_a_module_read_from_a_closure_keeps_its_constants_float64_too():
    """``import math as m`` inside a factory: m.pi stayed a Python float, float32 beside 2.0 on the simulator
    (a regression hunt: 48 tolerances off from t = 7.4e5)."""
    out = np.zeros(1, np.float32)
    in_precision(_phase_factory(), np.float32)(np.float64(738000.3), np.zeros(1, np.float32), np.zeros(0), out)
    assert out[0] == np.float32(math.sin(2.0 * math.pi * 738000.3 / 365.0))


def test_literals_argument_is_validated():
    with pytest.raises(ConfigurationError, match=r"literals must be one of 'working', 'as written'; got"):
        ODESystem(lorenz96_rhs, 16, 2, literals="float32", check=False)


def test_device_functions_are_cached_per_dtype_and_float64_is_as_written():
    system = kernels.van_der_pol()
    assert system.device_functions(np.float32) is system.device_functions("float32")
    assert system.device_functions(np.float64).rhs is system.device_rhs
    assert system.device_functions(np.float32).rhs is not system.device_rhs


# -- results: SciPy to float32 rounding, both ways alike ------------------------------------------------
@pytest.mark.parametrize("literals", ["working", "as written"])
def test_closure_defaults_globals_and_calls_match_scipy_in_float32(literals):
    forced = _make_forced(3.0)
    system = ODESystem(forced, 2, name="forced", literals=literals)
    res = kernels.solve_ivp(system, (0.0, 2.0), [[1.0, 0.0]], method="tsit5", precision=np.float32,
                            rtol=1e-6, atol=1e-6)
    ref = scipy_solve_ivp(system.host_rhs(np.zeros(0)), (0.0, 2.0), [1.0, 0.0], rtol=1e-10, atol=1e-12)
    assert res.success
    np.testing.assert_allclose(res.y[0, -1], ref.y[:, -1], rtol=1e-4, atol=1e-5)


def test_lorenz96_with_integer_index_arithmetic_matches_scipy_in_float32():
    system = ODESystem(lorenz96_rhs, 16, 2, name="lorenz96", default_params=(8.0, 1.0))
    y0 = 8.0 + 0.5 * np.sin(0.7 * np.arange(16))
    res = kernels.solve_ivp(system, (0.0, 0.2), y0[None, :], method="tsit5", precision=np.float32,
                            rtol=1e-6, atol=1e-6)
    ref = scipy_solve_ivp(system.host_rhs(), (0.0, 0.2), y0, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.y[0, -1], ref.y[:, -1], rtol=1e-4, atol=1e-4)


# -- compiled: no float64 in a float32 right-hand side (PTX, no GPU needed) ---------------------------
_MODEL = """
import math
import sys
import numpy as np

def toy(t, y, p, dydt):
    dydt[0] = 2.0 * y[1] - 0.5 * y[0] * math.exp(-1.5 * y[1])
    dydt[1] = -(1.0 - y[0] * y[0]) * y[1] + 0.0

def cast(t, y, p, dydt):
    dydt[0] = y[0] * np.float64(1.1)
    dydt[1] = y[1]
"""

_SCRIPT = """
import json, math, re, sys
import numpy as np
from numba import cuda, types
import kernels
from kernels.resources import _offline_device
from kernels.stiff_systems import brusselator

F64 = re.compile(r"^\\s*(?:@!?%p\\d+\\s+)?([a-z][a-z0-9]*)(?:\\.[a-z0-9]+)*\\.f64\\b", re.M)

sys.path.insert(0, sys.argv[1])
from toy_model import cast, toy

def count(func, n_args):
    arr = types.Array(types.float32, 1, "A")
    with _offline_device((9, 0)):
        ptx, _ = cuda.compile_ptx(func.py_func, (types.float64,) + (arr,) * (n_args - 1), device=True, cc=(9, 0))
    return sum(1 for op in F64.findall(ptx) if op not in ("ld", "st", "mov"))

out = {}
for literals in ("working", "as written"):
    toy_sys = kernels.ODESystem(toy, 2, check=False, literals=literals)
    cast_sys = kernels.ODESystem(cast, 2, check=False, literals=literals)
    b = brusselator(8)
    bru = kernels.ODESystem(b.rhs, 8, 3, jac=b.jac, jvp=b.jvp, check=False, literals=literals)
    dev = bru.device_functions(np.float32)
    out[literals] = {"toy": count(toy_sys.device_functions(np.float32).rhs, 5),
                     "cast": count(cast_sys.device_functions(np.float32).rhs, 5),
                     "brusselator_rhs": count(dev.rhs, 5), "brusselator_jac": count(dev.jac, 4),
                     "brusselator_jvp": count(dev.jvp, 5)}
print(json.dumps(out))
"""


@pytest.mark.skipif(ptxas_path() is None, reason="needs the CUDA compiler (pip install 'bufferplan[compile]')")
def test_float32_right_hand_sides_compile_without_float64_and_the_opt_out_brings_it_back(tmp_path):
    (tmp_path / "toy_model.py").write_text(_MODEL)  # a module: the rewrite reads the functions' source
    counts = run_on_cuda_target(_SCRIPT, str(tmp_path))
    working, as_written = counts["working"], counts["as written"]
    for name in ("toy", "brusselator_rhs", "brusselator_jac", "brusselator_jvp"):
        assert working[name] == 0, f"{name}: {working[name]} float64 instructions in float32 ({json.dumps(counts)})"
        assert as_written[name] > 0, f"{name} as written should use float64 literals ({json.dumps(counts)})"
    assert working["cast"] > 0  # np.float64(1.1) is the user's explicit choice: kept


GM_CGS, AU_CM, YEAR_S = 1.32712440018e26, 1.495978707e13, 3.15576e7


def _kepler_cgs_constants(t, y, p, dydt):
    k = GM_CGS / (AU_CM * AU_CM * AU_CM) * YEAR_S * YEAR_S  # 39.48 in float64; AU**3 = 3.3e39 overflows float32
    r2 = y[0] * y[0] + y[1] * y[1]
    r3 = r2 * math.sqrt(r2)
    dydt[0] = y[2]
    dydt[1] = y[3]
    dydt[2] = -k * y[0] / r3
    dydt[3] = -k * y[1] / r3


def test_constants_that_overflow_float32_together_warn():
    """An astronomer's cgs gravity constant: its float32 copy gave k = 0, the orbits straight lines, success and no
    word (a user's trial).  float64 and literals='as written' keep it and say nothing."""
    import warnings

    y0 = [1.0, 0.0, 0.0, 2.0 * np.pi]
    with pytest.warns(kernels.PrecisionWarning, match=r"leaves float32's range at t0 for trajectory 0.*Compute "
                                                      r"such constants in float64 outside rhs"):
        kernels.solve_ivp(kernels.ODESystem(_kepler_cgs_constants, 4, name="kepler_cgs"), (0.0, 0.1), y0,
                          method="rk4", dt=0.05, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.PrecisionWarning)
        for system, precision in ((kernels.ODESystem(_kepler_cgs_constants, 4, name="kepler_cgs"), np.float64),
                                  (kernels.ODESystem(_kepler_cgs_constants, 4, name="kepler_cgs_as_written",
                                                     literals="as written"), np.float32)):
            result = kernels.solve_ivp(system, (0.0, 0.1), y0, method="rk4", dt=0.05, precision=precision,
                                       progress=False)
            assert abs(result.y[0, -1, 2] + 2.0 * np.pi * np.sin(0.2 * np.pi)) < 0.01  # the circular orbit's v_x


HBAR_SI, ELECTRON_KG = 1.054571817e-34, 9.1093837015e-31


def _decay_by_hbar_squared(t, y, p, dydt):
    dydt[0] = -(HBAR_SI * HBAR_SI * p[0] / ELECTRON_KG) * y[0]  # hbar**2 = 1.1e-68 underflows float32 to 0


def _steep_gate(t, y, p, dydt):
    dydt[0] = 1.0 / (1.0 + p[0] * p[0]) - y[0]  # p[0]**2 overflows float32, and the derivative is the same


def test_an_underflow_that_changes_the_derivative_warns_and_one_that_does_not_is_silent():
    """hbar * hbar underflows float32 and the rate became 0 (a regression hunt); an overflow whose term vanishes
    either way (1 / (1 + 1e40)) changes nothing and no longer warns."""
    import warnings

    with pytest.warns(kernels.PrecisionWarning, match=r"below 1\.2e-38"):
        kernels.solve_ivp(kernels.ODESystem(_decay_by_hbar_squared, 1, 1, name="hbar"), (0.0, 0.1), [1.0],
                          [1.0e38], method="rk4", dt=0.05, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.PrecisionWarning)
        kernels.solve_ivp(kernels.ODESystem(_steep_gate, 1, 1, name="steep_gate"), (0.0, 0.1), [0.0], [1e20],
                          method="rk4", dt=0.05, progress=False)


def _j2_by_r7(t, y, p, dydt):
    r2 = y[0] * y[0] + y[1] * y[1] + y[2] * y[2]
    r = math.sqrt(r2)
    r3, r7 = r2 * r, r2 * r2 * r2 * r
    for i in range(3):
        dydt[i] = y[3 + i]
        dydt[3 + i] = -3.986e14 * y[i] / r3 - 1.76e25 * (y[i] / r7) * (r2 - 5.0 * y[2] * y[2])


def test_a_product_of_states_past_float32s_range_warns():
    """An orbit in metres with J2 written over r**7 (8e47, inf in float32): the J2 term became 0 and 15 orbits ended
    1400 km off with success and no warning; the check held the states in float64 (a user's trial)."""
    import warnings

    y0 = [7e6, 0.0, 0.0, 0.0, 7.5e3, 0.0]
    with pytest.warns(kernels.PrecisionWarning, match=r"states multiply past 3\.4e38"):
        kernels.solve_ivp(kernels.ODESystem(_j2_by_r7, 6, name="j2_r7"), (0.0, 1.0), y0, method="rk4", dt=0.5,
                          progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.PrecisionWarning)
        kernels.solve_ivp(kernels.ODESystem(_j2_by_r7, 6, name="j2_r7_64"), (0.0, 1.0), y0, method="rk4", dt=0.5,
                          precision=np.float64, progress=False)


def _equilibrium_with_trace(t, y, p, dydt):
    r = p[0] * y[0] - p[1] * y[1]
    dydt[0] = -r
    dydt[1] = r
    dydt[2] = -p[2] * y[2] * y[2]


def test_float32_rounding_at_an_equilibrium_beside_a_harmless_underflow_does_not_warn():
    """A regression hunt: A <-> B at equilibrium (1.2e-8 from 0 in float64, 0 in float32) beside a trace radical
    whose square underflows drew the PrecisionWarning; float32's own rounding is not the range's fault."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.PrecisionWarning)
        kernels.solve_ivp(kernels.ODESystem(_equilibrium_with_trace, 3, 3, name="equilibrium"), (0.0, 0.1),
                          [0.3, 0.7, 1e-25], [0.7, 0.3, 1e3], method="rk4", dt=0.05, progress=False)


def _two_body(t, y, p, dydt):
    r2 = y[0] * y[0] + y[1] * y[1]
    r3 = r2 * math.sqrt(r2)
    dydt[0], dydt[1] = y[2], y[3]
    dydt[2], dydt[3] = -3.986e14 * y[0] / r3, -3.986e14 * y[1] / r3


def _observable_by_r7(t, y, p, obs):
    r2 = y[0] * y[0] + y[1] * y[1]
    obs[0] = 1e30 * y[0] / (r2 * r2 * r2 * math.sqrt(r2))


def test_an_observable_past_float32s_range_warns_too():
    """A regression hunt: an observable over r**7 of an orbit in metres saved 0 in float32 with no word (the range
    check looked at rhs only)."""
    system = kernels.ODESystem(_two_body, 4, name="two_body_obs", observables=_observable_by_r7, n_observables=1)
    with pytest.warns(kernels.PrecisionWarning, match=r"^observables leave float32's range at t0 .* its observable "
                                                      r"changes there"):
        kernels.solve_ivp(system, (0.0, 1.0), [7e6, 0.0, 0.0, 7.5e3], method="rk4", dt=0.5, progress=False)
