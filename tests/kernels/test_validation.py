"""Bad inputs: each gives the specific exception, with a message naming the argument.

solve_ivp's arguments, the system's and the drivers', in plain values.  The method and what goes with it (controller,
dt, solver options, plans) are in ``test_validation_methods.py``; y0 and params in ``test_validation_batch.py``;
tolerances in ``test_validation_tolerances.py``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kernels
from kernels import ConfigurationError, ODESystem

from kernel_helpers import call


@pytest.mark.parametrize("changes, words", [
    (dict(system=lambda t, y: y), "system must be an ODESystem"),
    (dict(t_span=(1.0, 0.0)), "t_span must satisfy t_end > t0 (forward integration only); got (1.0, 0.0): to "
                              "integrate backwards, solve dz/ds = -f(-s, z)"),
    (dict(t_span=(1.0, 1.0)), "the span is empty"),
    (dict(t_span=(0.0, np.inf)), "t_span[1] must be finite"),
    (dict(t_span=3.0), "t_span must be a pair"),
    (dict(y0=[1.0, 1.0]), "y0 must have shape (N, 3) or (3,)"),
    (dict(y0=[[1.0, np.nan, 1.0]]), "y0 must be finite"),
    (dict(y0=[[1.0, 1e39, 1.0]]), "y0 must lie within float32's range; found 1e+39 at index (0, 1): 1e+39 is beyond "
                                  "float32's largest value, 3.4e38; solve with precision=np.float64"),
    (dict(y0=[[1.0, True, "x"]]), "y0 must be an array of real numbers"),
    (dict(y0=[[1.0, 1.0, 1.0]], params=np.ones((2, 3))), "y0 must have shape (2, 3)"),
    (dict(y0=np.ones((3, 3)), params=np.ones((2, 3))),
     "y0 has 3 rows (trajectories) and params 2: give both one row per trajectory, or y0 as the 1-D row of shape "
     "(3,) that every trajectory shares"),
    (dict(params=np.ones((2, 2))), "params must have shape (N, 3)"),
    (dict(rtool=1e-8), "unexpected keyword argument 'rtool': did you mean 'rtol'?"),
    (dict(max_step=0.1), "'max_step' is SciPy's: use dt_max="),
    (dict(args=(1.0,)), "'args' is SciPy's: pass the parameters as params="),
    (dict(lband=1, uband=1), "'lband' is SciPy's: solver='lu' finds the Jacobian's pattern itself"),
    (dict(chunk_siz=4), "did you mean 'chunk_size'?"),
    (dict(out="x"), "out must be an earlier kernels.IVPResult"),
    (dict(params="abc"), "params must be an array of real numbers"),
    (dict(method="rk45"), "method 'rk45' is SciPy's; here use 'dopri5' (the same Dormand-Prince 5(4) pair) or "
                          "'tsit5'"),
    (dict(method="RK4S"), "method must be one of"),
    (dict(method="rk4"), "dt is required for fixed-step integration"),
    (dict(method="rk4", dt=0.1, controller="pi"), "controller='pi' needs an error estimate"),
    (dict(dt=-0.1), "dt must be > 0"),
    (dict(controller="p"), "controller must be one of"),
    (dict(controller=3), "controller must be"),
    (dict(rtol=-1e-3), "rtol must be finite and >= 0"),
    (dict(atol=np.ones(2)), "atol must be a scalar or have shape (3,)"),
    (dict(rtol=0.0, atol=0.0), "rtol and atol must not both be 0"),
    (dict(t_eval=[0.05, 0.01]),
     "t_eval must be strictly increasing; t_eval[1] = 0.01 follows t_eval[0] = 0.05: pass np.unique"),
    (dict(t_eval=[0.05, 0.2]), "t_eval must lie within t_span"),
    (dict(t_eval=[]), "t_eval must be a non-empty 1-D array"),
    (dict(precision=np.float16), "precision must be np.float32 or np.float64"),
    (dict(plan="fastest"), "plan must be one of"),
    (dict(plan="Fastest"), "plan must be one of"),
    (dict(block_size=0), "block_size must be an integer >= 1"),
    (dict(max_steps=0), "max_steps must be an integer >= 1"),
    (dict(max_steps=2.5), "max_steps must be an integer >= 1"),
    (dict(dt_min=1.0, dt_max=0.5), "dt_min and dt_max must satisfy"),
    (dict(dt_min="small"), "dt_min and dt_max must be real numbers"),
    (dict(drivers=([0.0, 1.0], [[1.0], [2.0]])), "drivers: the system declares n_drivers=0"),
    # text is never a number, whatever float() makes of it ("05" was read as characters, b"01" as 48 and 49)
    (dict(t_span="05"), "t_span must be a pair (t0, t_end) of real numbers; got '05'"),
    (dict(t_span=b"01"), "t_span must be a pair (t0, t_end) of real numbers; got b'01'"),
    (dict(t_span=[0, "1"]), "t_span[1] must be a real number; got '1'"),
    (dict(t_span=("0", "0.1")), "t_span[0] must be a real number; got '0'"),
    (dict(t_span=(np.str_("0"), 0.1)), "t_span[0] must be a real number; got '0'"),
    (dict(t_span=(False, 0.1)), "t_span[0] must be a real number; got False"),
    (dict(t_eval="0.1"), "t_eval must be a 1-D array of times (real numbers); got '0.1'"),
    (dict(t_eval=["0.05", 0.1]), "t_eval must be a 1-D array of times (real numbers); got ['0.05', 0.1]"),
    (dict(rtol="1e-6"), "rtol must be a number or an array of 3 numbers; got '1e-6'"),
    (dict(atol=["1e-6"] * 3), "atol must be a number or an array of 3 numbers; got ['1e-6', '1e-6', '1e-6']"),
    (dict(rtol=b"1"), "rtol must be a number or an array of 3 numbers; got b'1'"),
    (dict(method="rk4", dt="0.01"), "dt must be a real number; got '0.01'"),
    (dict(dt=b"1"), "dt must be a real number; got b'1'"),
    (dict(dt_max="1"), "dt_min and dt_max must be real numbers; got 0.0, '1'"),
    (dict(y0=b"111"), "y0 must be an array of real numbers"),
    (dict(progress="yes"), "progress must be True (a progress line on stderr), False (none) or None"),
    (dict(progress=1), "progress must be True"),
])
def test_bad_argument(changes, words):
    with pytest.raises(ConfigurationError) as info:
        call(**changes)
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)


def test_float32_save_times_rounded_past_the_span_say_so():
    """jnp.linspace gives float32 times by default: 0.3 rounds to 0.30000001192092896, past t_end = 0.3, and the
    message gave only the numbers (a porter's trial)."""
    with pytest.raises(ConfigurationError) as info:
        call(t_span=(0.0, 0.3), t_eval=np.linspace(0.0, 0.3, 4, dtype=np.float32))
    assert str(info.value).endswith("got [0.0, 0.30000001192092896]: t_eval is float32, whose rounding of 0.3 is "
                                    "0.30000001192092896; make the times in float64 (np.linspace(..., "
                                    "dtype=np.float64); converting the rounded array keeps its rounding), or end "
                                    "t_span at float(t_eval[-1])")
    with pytest.raises(ConfigurationError) as info:  # a time truly outside the span: no rounding note
        call(t_span=(0.0, 0.3), t_eval=np.array([0.0, 0.5], dtype=np.float32))
    assert "got [0.0, 0.5]: 1 of the 2 times lies outside it" in str(info.value)
    assert "whose rounding" not in str(info.value)
    assert call(t_span=(0.0, 0.3), t_eval=np.linspace(0.0, 0.3, 4)).success


def _rhs(t, y, p, dydt):
    dydt[0] = -y[0]


@pytest.mark.parametrize("kwargs, words", [
    (dict(rhs=_rhs, n_states=0), "n_states must be an integer >= 1"),
    (dict(rhs=_rhs, n_states=1, n_params=-1), "n_params must be an integer >= 0"),
    (dict(rhs=lambda t, y, dydt: None, n_states=1), "rhs must take 4 arguments (t, y, p, dydt)"),
    (dict(rhs=_rhs, n_states=1, n_drivers=1), "rhs must take 5 arguments (t, y, p, u, dydt)"),
    (dict(rhs="f", n_states=1), "rhs must be a callable"),
    (dict(rhs=_rhs, n_states=1, observables=_rhs), "observables and n_observables go together"),
    (dict(rhs=_rhs, n_states=1, n_params=2, default_params=[1.0]), "default_params must be 2 finite numbers"),
    # a dict, a string or a list holding text gave NumPy's own TypeError / ValueError (a user's trial)
    (dict(rhs=_rhs, n_states=1, n_params=2, default_params={"a": 1.0, "b": 2.0}),
     "default_params must be 2 finite numbers, a list or array in the order the rhs reads p[0], p[1]"),
    (dict(rhs=_rhs, n_states=1, n_params=2, default_params="0.3 0.1"), "default_params must be 2 finite numbers"),
    (dict(rhs=_rhs, n_states=1, n_params=2, default_params=[0.3, "x"]), "default_params must be 2 finite numbers"),
    (dict(rhs=lambda t, y, p, dydt: undefined_name, n_states=1), "rhs of system"),  # noqa: F821
    (dict(rhs=_rhs, n_states=1, observables=lambda t, y, p, o: o.__setitem__(5, 1.0), n_observables=1),
     "observables of system"),
])
def test_bad_system(kwargs, words):
    with pytest.raises(ConfigurationError) as info:
        ODESystem(**kwargs)
    assert words in str(info.value)


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


def _forced(t, y, p, u, dydt):
    dydt[0] = u[0]


def test_params_required_without_defaults():
    system = ODESystem(_decay, 1, n_params=1)
    with pytest.raises(ConfigurationError, match="params are required"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0])


def test_drivers_required():
    system = ODESystem(_forced, 1, n_drivers=1)
    with pytest.raises(ConfigurationError, match="drivers: the system has 1 driver"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0])
    with pytest.raises(ConfigurationError, match=r"drivers: times must be strictly increasing; times\[1\] = 0 "
                                                 r"repeats times\[0\] = 0: sort the samples with their values"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0], drivers=([0.0, 0.0, 1.0], [1.0, 1.0, 2.0]))
    # a switch given as two values at one time (a user's trial: dropping the repeat, as advised, ramped the step)
    with pytest.raises(ConfigurationError, match=r"times\[2\] = 0.5 repeats times\[1\] with other values: a step "
                                                 r"\(zero-order hold\) input.*short ramp.*one interval at a time"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0], drivers=([0.0, 0.5, 0.5, 1.0], [1.0, 1.0, 2.0, 2.0]))
    with pytest.raises(ConfigurationError, match=r"drivers: times must be finite; found nan at index 1: fill or "
                                                 "drop that sample"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0], drivers=([0.0, np.nan, 1.0], [1.0, 2.0, 3.0]))
    with pytest.raises(ConfigurationError, match=r"drivers: values must be finite; found inf at index \(2, 0\)"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0], drivers=([0.0, 0.5, 1.0], [1.0, 2.0, np.inf]))
    with pytest.raises(ConfigurationError, match=r"times\[2\] = 0.5 goes back to times\[1\] = 1"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0], drivers=([0.0, 1.0, 0.5, 2.0], [1.0, 2.0, 3.0, 4.0]))
    # a value float32 cannot hold was cast to inf with a NumPy warning, and the trajectory failed (a user's trial)
    with pytest.raises(ConfigurationError, match=r"drivers: values must lie within float32's range; found 1e\+40 at "
                                                 r"index \(1, 0\): 1e\+40 is beyond float32's largest value, 3\.4e38; "
                                                 r"the drivers are shared by every trajectory: "
                                                 r"scale them.*or use precision=np.float64$"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0], drivers=([0.0, 0.5, 1.0], [1.0, 1e40, 2.0]))
    with pytest.raises(ConfigurationError, match="drivers: values must be an array of real numbers"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0], drivers=([0.0, 1.0], "ab"))
    with pytest.raises(ConfigurationError, match=r"drivers: the samples cover \[0.0, 1.0\] and the integration "
                                                 r"runs over \[0.0, 2.0\]: the last sample falls 1 short. Give "
                                                 r"samples over the whole span.*or end the span at the last sample"):
        kernels.solve_ivp(system, (0.0, 2.0), [1.0], drivers=([0.0, 1.0], [1.0, 2.0]))
    # a series per trajectory, and a function of t (a chemist's trial): what drivers are, and where those go
    with pytest.raises(ConfigurationError, match=r"values must have shape \(3, 1\); got \(2, 3, 1\)\. Drivers are "
                                                 r"shared by every trajectory.*belongs in params\. For one "
                                                 r"series per site.*u\[int\(p\[k\]\)\]"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0], drivers=([0.0, 0.5, 1.0], np.ones((2, 3, 1))))
    with pytest.raises(ConfigurationError, match=r"drivers: expected \(times, values\) samples; got a function.*"
                                                 r"belongs in the rhs itself"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0], drivers=lambda t: 1.0)
    with pytest.raises(ConfigurationError, match=r"values must be samples at the times; got a function"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0], drivers=([0.0, 1.0], lambda t: 1.0))
    two = ODESystem(_forced_two, 1, n_drivers=2)
    with pytest.raises(ConfigurationError, match=r"got \(2, 3\): one row per sample time, one column per driver "
                                                 r"\(pass values.T\)$"):
        kernels.solve_ivp(two, (0.0, 1.0), [1.0], drivers=([0.0, 0.5, 1.0], np.ones((2, 3))))


def _forced_two(t, y, p, u, dydt):
    dydt[0] = u[0] - u[1] * y[0]


def test_driver_times_kept_in_float32_cover_the_span():
    """A user's trial: 100 Hz stamps in float32 end at 0.699999988 for a span to 0.7 and were refused (the message
    printed both as 0.7); float32's rounding of the span's end is accepted, the end segment's line goes on over it."""
    system = ODESystem(_forced, 1, n_drivers=1)
    times = np.arange(8, dtype=np.float32) * np.float32(0.1)
    res = kernels.solve_ivp(system, (0.0, 0.7), [0.0], drivers=(times, np.ones(8)), method="rk4", dt=0.01,
                            precision=np.float64, progress=False)
    assert res.success and abs(res.y[0, -1, 0] - 0.7) < 1e-12
    # the slack is float32's rounding of the ends, at most a millionth of the span: far from t = 0 (Unix time)
    # samples 800 s short of an hour's span were accepted (a regression hunt)
    with pytest.raises(ConfigurationError, match=r"the last sample falls 800 short"):
        kernels.solve_ivp(system, (1.7e9, 1.7e9 + 3600.0), [0.0], drivers=([1.7e9, 1.7e9 + 2800.0], [1.0, 1.0]),
                          method="rk4", dt=10.0, precision=np.float64, progress=False)


# -- messages print plain values, not NumPy 2 reprs (item 7) --------------------------------------
@given(row=st.integers(0, 3), col=st.integers(0, 2), bad=st.sampled_from([np.nan, np.inf, -np.inf]),
       dtype=st.sampled_from([np.float64, np.float32]))
@settings(max_examples=25, deadline=None)
def test_nonfinite_input_message_is_plain(row, col, bad, dtype):
    y0 = np.ones((4, 3), dtype=dtype)
    y0[row, col] = bad
    with pytest.raises(ConfigurationError) as info:
        call(y0=y0)
    assert f"found {float(bad)!r} at index ({row}, {col})" in str(info.value)


@pytest.mark.parametrize("changes, plain_words", [
    (dict(max_steps=np.float64(2.5)), "got 2.5"),
    (dict(block_size=np.int64(0)), "got 0"),
    (dict(dt=np.float64(-0.1)), "got -0.1"),
    (dict(t_eval=np.array([0.05, 0.2])), "got [0.05, 0.2]"),
    (dict(rtol=np.float32(-1.0)), "got -1.0"),
    (dict(params=np.array([10.0, np.nan, 1.0])), "found nan at index (0, 1)"),
    (dict(controller=None, method="tsit5", precision=np.float64, t_span=(np.float64(1.0), np.float64(0.5))),
     "got (1.0, 0.5)"),
])
def test_messages_have_no_numpy_reprs(changes, plain_words):
    with pytest.raises(ConfigurationError) as info:
        call(**changes)
    assert plain_words in str(info.value)
    assert "np." not in str(info.value)


def test_controller_settings_message_is_plain():
    with pytest.raises(ConfigurationError) as info:
        kernels.ControllerSettings("pi", safety=np.float64(2.0))
    assert str(info.value).endswith("got 2.0")


def test_underflow_below_the_resolution_says_what_to_do():
    """float32, rtol 1e-8 (eps/12), atol 0, two components from exactly 0: the error estimate of the first
    steps is rounding noise above 1, and with dt_min 1e-4 the controller cannot shrink past it (without a
    dt_min the run may also get through, as it does with this NumPy's float32 rounding: 501 steps, 21
    rejected); the underflow's message names the cause and the fix."""
    result = call(rtol=1e-8, atol=0.0, y0=[1.0, 0.0, 0.0], dt_min=1e-4)
    assert result.status[0] == kernels.Status.STEP_SIZE_UNDERFLOW
    message = result.message(0)
    assert "rtol 1e-08 is below float32's resolution" in message and "precision=np.float64" in message
    fine = call(rtol=1e-8, atol=1e-8, precision=np.float64)
    assert "resolution" not in fine.status_messages[int(kernels.Status.STEP_SIZE_UNDERFLOW)]


def _index_fault_after(t, y, p, dydt):
    dydt[0] = -y[0]
    if t > 0.05:
        dydt[3] = 0.0  # one state only: out of range once t passes 0.05


@pytest.mark.skipif(kernels.backend() == "cuda", reason="the simulator catches the fault; a GPU does not")
def test_a_user_function_fault_during_the_run_names_its_line():
    system = kernels.ODESystem(_index_fault_after, 1, name="faulty")  # the construction check runs at t = 0
    with pytest.raises(kernels.UserFunctionError, match=r"_index_fault_after raised IndexError at .*"
                                                        r"test_validation.py:\d+ \('dydt\[3\] = 0.0.*index 3 is out "
                                                        r"of bounds.*On a GPU the same fault is not caught"):
        kernels.solve_ivp(system, (0.0, 0.1), [1.0], method="rk4", dt=0.01)


class _ForeignDeviceArray:
    """Not a Numba device array, but exposes __cuda_array_interface__ (as CuPy and PyTorch arrays do)."""

    shape, dtype = (1, 3), np.dtype(np.float32)
    __cuda_array_interface__ = {"shape": (1, 3), "typestr": "<f4", "data": (0, False), "version": 3}


@pytest.mark.skipif(kernels.backend() == "cuda", reason="on a GPU, numba.cuda.as_cuda_array reads such an object")
def test_a_foreign_device_array_on_the_simulator_is_told_what_is_accepted():
    """The simulator has no numba.cuda.as_cuda_array: the message says what y0 and params take."""
    for changes, what in ((dict(y0=_ForeignDeviceArray()), "y0"), (dict(params=_ForeignDeviceArray()), "params")):
        with pytest.raises(ConfigurationError) as info:
            call(**changes)
        assert str(info.value).startswith(
            f"{what} must be a NumPy array or a list of real numbers, or a Numba CUDA device array "
            "(numba.cuda.to_device(x)); got a _ForeignDeviceArray with __cuda_array_interface__")


def test_progress_takes_booleans_and_none():
    for progress in (None, False, np.False_):
        assert call(progress=progress).success


def test_a_float64_tolerance_beyond_reach_does_not_suggest_float64():
    with pytest.raises(ConfigurationError, match=r"tighter than float64 can resolve") as info:
        call(rtol=1e-20, atol=1e-20, precision=np.float64)
    assert "precision=np.float64" not in str(info.value)
    with pytest.raises(ConfigurationError, match=r"use precision=np.float64, or loosen"):
        call(rtol=1e-12, atol=1e-12, precision=np.float32)


def test_a_parameter_with_a_default_is_named_not_taken_for_drivers():
    """def rhs(t, y, p, dydt, A=A) and lambda t, y, p, k=k: ... (Python's way to bind a value) were counted as one
    more argument: 'the form rhs(t, y, p, u, dydt) is for systems with drivers: pass n_drivers' (a user's trial)."""
    scale = 2.0

    def rhs(t, y, p, dydt, a=scale):
        dydt[0] = -a * y[0]

    with pytest.raises(ConfigurationError, match=r"^rhs has a parameter with a default value \(a=\.\.\.\): device "
                                                 r"functions are called with exactly \(t, y, p, dydt\), so bind the "
                                                 r"value in a closure instead \(def make\(a\): def rhs\("):
        ODESystem(rhs, 1)
    with pytest.raises(ConfigurationError, match=r"^Event function g has a parameter with a default value \(k=\.\.\.\)"
                                                 r".*def make\(k\): def g\(t, y, p\)"):
        kernels.Event(lambda t, y, p, k=0: y[k])

    def keyword_only(t, y, p, dydt, *, a=scale):
        dydt[0] = -a * y[0]

    with pytest.raises(ConfigurationError, match=r"^rhs has a parameter with a default value \(a=\.\.\.\)"):
        ODESystem(keyword_only, 1)

    def defaulted_output(t, y, p, dydt=None):
        dydt[0] = -y[0]

    with pytest.raises(ConfigurationError, match=r"^rhs gives its argument dydt a default value: .*drop the default"):
        ODESystem(defaulted_output, 1)
    # diffrax's cond_fn(t, y, args, **kwargs) was told of "a parameter with a default value (**kwargs)" (a trial)
    with pytest.raises(ConfigurationError, match=r"^Event function g takes keyword arguments \(\*\*kwargs\): .*"
                                                 r"cannot take \*\*kwargs; drop it$"):
        kernels.Event(lambda t, y, p, **kwargs: y[0])


def test_a_nonzero_value_float32_rounds_to_zero_is_refused():
    """An invader at y0 = 1e-50 became 0 in float32 and stayed extinct, with success and no word, where float64 grew
    it to 1 (a user's trial)."""
    with pytest.raises(ConfigurationError, match=r"y0 holds 1e-50 at index \(1, 0\), smaller in magnitude than "
                                                 r"float32's smallest number \(1\.4e-45\).*or use precision=np.float64, or, where "
                                                 r"it is negligible over the run .*pass 0 for it yourself"):
        kernels.solve_ivp(ODESystem(_decay, 1, n_params=1), (0.0, 1.0), [[1.0], [1e-50]], [[1.0], [1.0]])
    kernels.solve_ivp(ODESystem(_decay, 1, n_params=1), (0.0, 0.1), [[1.0], [1e-50]], [[1.0], [1.0]],
                      precision=np.float64, progress=False)


def test_an_rhs_with_star_args_is_told_device_functions_take_none():
    # "rhs must take 4 arguments (t, y, p, dydt); got a function of 4 positional arguments" (a regression hunt)
    def rhs(t, y, p, dydt, *extra):
        dydt[0] = -y[0]

    with pytest.raises(ConfigurationError, match=r"^rhs takes \*args \(variable arguments\), which a device function "
                                                 r"cannot: it is called with exactly \(t, y, p, dydt\)"):
        ODESystem(rhs, 1)


def test_max_steps_as_a_whole_float_is_taken_as_that_integer():
    """max_steps=1e6, the usual way to write a million, was refused (a mechanical engineer's trial); 1.5, nan, inf
    and booleans still are."""
    assert call(max_steps=1e6, progress=False).success
    assert call(max_steps=np.float64(200.0), progress=False).success
    for bad in (1.5, float("nan"), float("inf"), True, 0.0):
        with pytest.raises(ConfigurationError, match=r"^max_steps must be an integer >= 1; got "):
            call(max_steps=bad, progress=False)
