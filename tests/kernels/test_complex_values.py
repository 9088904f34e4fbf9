"""Complex values in a system's functions (kernels.complex_values): stored into a real output they are refused with
the line and the remedy (real and imaginary parts as separate states), by the construction check on the host and by
the compile check alike; complex arithmetic kept inside a function still builds and solves (a quantum-optics
physicist's trial)."""

import cmath
import math
import re
import warnings

import numpy as np
import pytest

import kernels
from kernels.compile_hints import failure_message

_REMEDY = (r"dydt holds real numbers only, so write its \.real and \.imag into two separate states \({}\), as a "
           r"complex system is solved as its real and imaginary parts \(twice the states, all real; read a complex "
           r"state as z = complex\(y\[0\], y\[1\]\)\)")


def _amplitudes_without_real(t, y, p, dydt):
    cg = complex(y[0], y[1])
    ce = complex(y[2], y[3])
    dcg = -0.5j * p[0] * ce
    dce = -0.5j * p[0] * cg - 1j * p[1] * ce
    dydt[0] = dcg
    dydt[1] = dcg.imag
    dydt[2] = dce.real
    dydt[3] = dce.imag


def test_a_python_complex_written_into_dydt_is_named_with_its_line_not_the_arguments_order():
    """dydt[0] = dcg (a Python complex, .real forgotten) raised NumPy's TypeError "float() argument must be ... not
    'complex'", which the check said usually means the arguments in another order."""
    with pytest.raises(kernels.ConfigurationError) as caught:
        kernels.ODESystem(_amplitudes_without_real, n_states=4, n_params=2, name="c3")
    message = str(caught.value)
    assert message.startswith("rhs of system 'c3' writes a complex value into dydt[0] (line "), message
    assert "test_complex_values.py: dydt[0] = dcg): " in message, message
    assert __import__("re").search(_REMEDY.format(r"dydt\[0\] = dcg\.real, and dcg\.imag into another state"),
                                   message), message
    assert "another order" not in message and "float()" not in message


def _density_matrix(t, y, p, dydt):
    om, de, g = p[0], p[1], p[2]
    ree, reg = y[0], y[1]
    dydt[0] = -g * ree + 0.5j * om * (reg - reg.conjugate())
    dydt[1] = -(0.5 * g + 1j * de) * reg + 0.5j * om * (2 * ree - 1)


def test_a_fully_complex_rhs_is_refused_in_the_same_words_without_numpy_warnings():
    """0.5j * Om * (...) of NumPy floats is a NumPy complex: NumPy dropped its imaginary part with two
    ComplexWarnings that leaked out of the check, then Numba's typing error said only "No implementation of function
    setitem"."""
    with warnings.catch_warnings(record=True) as caught_warnings:
        warnings.simplefilter("always")
        with pytest.raises(kernels.ConfigurationError) as caught:
            kernels.ODESystem(_density_matrix, n_states=2, n_params=3, name="cplx")
    assert not [w for w in caught_warnings if "complex" in str(w.message).lower()], caught_warnings
    message = str(caught.value)
    assert message.startswith("rhs of system 'cplx' writes a complex value into dydt[0] (line "), message
    assert __import__("re").search(_REMEDY.format(r"z the value; dydt\[0\] = z\.real, and z\.imag into another "
                                                  r"state"), message), message


def _complex_on_a_branch(t, y, p, dydt):
    z = complex(y[0], y[1]) * cmath.exp(1j * t)
    if t > 1e30:  # never at the test points: only the compile check meets the store
        dydt[0] = z
    else:
        dydt[0] = z.real
    dydt[1] = z.imag


def test_a_complex_store_the_host_never_runs_is_explained_by_the_compile_check_in_the_same_words():
    with pytest.raises(kernels.ConfigurationError) as caught:
        kernels.ODESystem(_complex_on_a_branch, n_states=2, name="branch")
    message = str(caught.value)
    assert message.startswith("rhs of system 'branch' writes a complex value into dydt[0] (line "), message
    assert "test_complex_values.py: dydt[0] = z): " in message, message
    assert __import__("re").search(_REMEDY.format(r"dydt\[0\] = z\.real, and z\.imag into another state"), message)
    assert message.endswith("(Numba: No implementation of function setitem for setitem(array(float32, 1d, A), "
                            "Literal[int](0), complex128))"), message


def test_the_compile_checks_words_without_a_line_name_the_output_of_the_function():
    result = {"ok": False, "precision": "float32", "error": "TypingError", "category": "other", "cc": (9, 0),
              "summary": "No implementation of function setitem for setitem(array(float64, 1d, A), int64, complex64)",
              "filename": None, "line": None}
    message = failure_message(result, "observables", "sys")
    assert message.startswith("observables of system 'sys' writes a complex value into obs: obs holds real numbers "
                              "only, so write its .real and .imag into two separate components (z the value; obs = "
                              "z.real, and z.imag into another component)"), message
    other = dict(result, summary="No implementation of function setitem for setitem(array(float32, 1d, A), int64, "
                                 "float64)")
    assert "complex" not in failure_message(other, "rhs", "sys")


def _real_rhs(t, y, p, dydt):
    dydt[0] = -y[1]
    dydt[1] = y[0]


def _complex_jvp(t, y, p, v, out):
    out[0] = complex(-v[1], 0.0)
    out[1] = v[0]


def _complex_observable(t, y, p, obs):
    obs[0] = complex(y[0], y[1])


@pytest.mark.parametrize("functions, said", [
    ({"jvp": _complex_jvp}, r"^jvp of system 'rot' writes a complex value into out\[0\] \(line \d+ of .*: out holds "
                            r"real numbers only, so write the derivatives of the real system: a complex system is "
                            r"solved as its real and imaginary parts \(twice the states, all real\), and jvp "
                            r"differentiates that system"),
    ({"observables": _complex_observable, "n_observables": 1},
     r"^observables of system 'rot' writes a complex value into obs\[0\] \(line \d+ of .*: obs holds real numbers "
     r"only, so write its \.real and \.imag into two separate components \(z the value; obs\[0\] = z\.real"),
])
def test_a_complex_value_in_the_other_outputs_is_named_too(functions, said):
    """A jvp's out and the observables' obs hold real numbers as dydt does: refused by the host's run (the jvp was
    told "TypeError: float() argument must be ... not 'complex'"), before the compile check."""
    with pytest.raises(kernels.ConfigurationError, match=said) as caught:
        kernels.ODESystem(_real_rhs, n_states=2, name="rot", **functions)
    assert "(Numba:" not in str(caught.value)


def _cmath_inside(t, y, p, dydt):
    z = complex(y[0], y[1])
    dz = -1j * p[0] * z * cmath.exp(1j * p[1] * t)
    dydt[0] = dz.real
    dydt[1] = dz.imag


def test_complex_arithmetic_inside_rhs_still_builds_and_solves():
    """cmath and complex locals, only .real and .imag stored: z' = -i a z e^{i w t} has z(t) = exp(-a (e^{i w t} - 1)
    / w) from z(0) = 1."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        system = kernels.ODESystem(_cmath_inside, n_states=2, n_params=2, name="cm")
    params = np.array([[1.0, 0.5], [2.0, 0.5]])
    result = kernels.solve_ivp(system, (0.0, 1.0), [1.0, 0.0], params, precision=np.float64, rtol=1e-9, atol=1e-12)
    assert np.all(result.success)
    exact = [cmath.exp(-a * (cmath.exp(1j * w) - 1.0) / w) for a, w in params]
    np.testing.assert_allclose(result.y[:, -1], [[z.real, z.imag] for z in exact], rtol=1e-6, atol=1e-8)


def _exp_of_complex(t, y, p, dydt):
    z = complex(y[0], y[1])
    w = math.exp(-1j * p[0] * z)
    dydt[0] = w.real
    dydt[1] = w.imag


def _float_of_complex(t, y, p, dydt):
    z = complex(y[0], y[1]) * 1j
    dydt[0] = float(z)
    dydt[1] = y[0]


_MATH_REMEDY = (r"the math module's functions, float\(\) and int\(\) take real numbers only; {}, and store only real "
                r"numbers: write its \.real and \.imag into two separate states \(w the complex value; {} = w\.real, "
                r"and w\.imag into another state\), as a complex system is solved as its real and imaginary parts")


@pytest.mark.parametrize("rhs, call, line, instead, target", [
    (_exp_of_complex, r"math\.exp\(\)", r"w = math\.exp\(-1j \* p\[0\] \* z\)", r"use cmath\.exp\(z\) for complex "
     r"arithmetic", r"dydt\[i\]"),
    (_float_of_complex, r"float\(\)", r"dydt\[0\] = float\(z\)", r"take z\.real, z\.imag or abs\(z\) explicitly "
     r"instead of float\(z\)", r"dydt\[0\]"),
])
def test_a_complex_value_passed_to_a_math_function_is_named_not_the_arguments_order(rhs, call, line, instead, target):
    """math.exp(z) of a complex z raised "TypeError: must be real number, not complex" on the host, which the check
    said usually means the arguments in another order (a quantum-optics physicist's trial)."""
    with pytest.raises(kernels.ConfigurationError) as caught:
        kernels.ODESystem(rhs, n_states=2, n_params=1, name="cm")
    message = str(caught.value)
    assert re.match(rf"rhs of system 'cm' passes a complex value to {call} \(line \d+ of \S*test_complex_values.py: "
                    rf"{line}\): {_MATH_REMEDY.format(instead, target)}", message), message
    assert "another order" not in message, message


def _exp_of_complex_on_a_branch(t, y, p, dydt):
    z = complex(y[0], y[1])
    if t > 1e30:  # never at the test points: only the compile check meets the call
        z = math.exp(z)
    dydt[0] = z.real
    dydt[1] = z.imag


def test_a_complex_value_passed_to_a_math_function_is_explained_by_the_compile_check_in_the_same_words():
    """Numba's "No implementation of function exp for exp(complex64)" got the generic "Numba CUDA compiles a subset
    of Python" hint."""
    with pytest.raises(kernels.ConfigurationError) as caught:
        kernels.ODESystem(_exp_of_complex_on_a_branch, n_states=2, name="branch")
    message = str(caught.value)
    assert re.match(r"rhs of system 'branch' passes a complex value to math\.exp\(\) \(line \d+ of \S*"
                    r"test_complex_values.py: z = math\.exp\(z\)\): " + _MATH_REMEDY.format(
                        r"use cmath\.exp\(z\) for complex arithmetic", r"dydt\[i\]"), message), message
    assert "compiles a subset of Python" not in message
    assert "(Numba: No implementation of function exp for exp(complex" in message, message


def test_the_compile_checks_words_for_float_of_a_complex_value_without_a_line():
    result = {"ok": False, "precision": "float32", "error": "TypingError", "category": "other", "cc": (9, 0),
              "summary": "No implementation of function Function(<class 'float'>) for float(complex128)",
              "filename": None, "line": None}
    message = failure_message(result, "observables", "sys")
    assert message.startswith("observables of system 'sys' passes a complex value to float(): the math module's "
                              "functions, float() and int() take real numbers only; take z.real, z.imag or abs(z) "
                              "explicitly instead of float(z), and store only real numbers: write its .real and .imag "
                              "into two separate components (w the complex value; obs[i] = w.real"), message


@pytest.mark.skipif(kernels.backend() == "cuda", reason="the simulator's Python faults; a GPU refuses to compile it")
@pytest.mark.parametrize("rhs, said", [
    (_amplitudes_without_real, r"_amplitudes_without_real writes a complex value into dydt\[0\] \(line \d+ of \S*"
     r"test_complex_values.py: dydt\[0\] = dcg, while the kernel ran for trajectory 0\): "
     + _REMEDY.format(r"dydt\[0\] = dcg\.real, and dcg\.imag into another state")),
    (_exp_of_complex, r"_exp_of_complex passes a complex value to math\.exp\(\) \(line \d+ of \S*"
     r"test_complex_values.py: w = math\.exp\(-1j \* p\[0\] \* z\), while the kernel ran for trajectory 0\): "
     + _MATH_REMEDY.format(r"use cmath\.exp\(z\) for complex arithmetic", r"dydt\[i\]")),
])
def test_with_check_false_the_run_names_a_complex_value_in_the_same_words(rhs, said):
    """With check=False the simulator's run said "UserFunctionError ... TypeError: float() argument must be ... not
    'complex'" and to fix the function."""
    system = kernels.ODESystem(rhs, n_states=4 if rhs is _amplitudes_without_real else 2, n_params=2, name="c3",
                               check=False)
    y0 = [1.0, 0.0, 0.0, 0.0][:system.n_states]
    with pytest.raises(kernels.UserFunctionError) as caught:
        kernels.solve_ivp(system, (0.0, 0.1), y0, [[1.0, 0.0]], method="rk4", dt=0.05, precision=np.float64,
                          progress=False)
    message = str(caught.value)
    assert re.match(said, message), message
    assert "fix the function" not in message and "another order" not in message, message
