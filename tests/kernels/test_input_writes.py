"""Writes into a user function's inputs, refused when the system (or event) is built: kernels/input_writes.py.

On the GPU ``y`` is the step's own stage state and ``p`` the trajectory's parameters, so a write into either
corrupts the run in silence; the check reads the source (never runs it) for writes through the name itself, a local
alias or slice, or a helper two calls down, in statement order.
"""

import math
import re

import numba
import numpy as np
import pytest
from numba import cuda

import kernels
from kernels import ConfigurationError, ODESystem
from kernels.input_writes import refuse_input_writes


def _clamps_y(t, y, p, dydt):
    y[0] = max(y[0], 0.0)  # on the GPU y is the step's stage state: the step would be corrupted silently
    dydt[0] = -p[0] * y[0]


def _scales_p(t, y, p, dydt):
    p[0] = 2.0 * p[0]
    dydt[0] = -p[0] * y[0]


def _observes_into_y(t, y, p, obs):
    y[0] = 1.0
    obs[0] = y[0]


@pytest.mark.parametrize("rhs, written", [(_clamps_y, "y"), (_scales_p, "p")])
def test_a_rhs_that_writes_its_input_is_named_with_what_to_do(rhs, written):
    with pytest.raises(ConfigurationError) as info:
        ODESystem(rhs, 1, 1, name="decay")
    assert re.match(rf"rhs of system 'decay' assigns into its input {written} \(line \d+\)", str(info.value))
    assert "Copy the values you want to change into local variables" in str(info.value)


def _resets_in_a_branch(t, y, p, dydt):
    dydt[0] = 0.04 * y[0] * y[0] + 5.0 * y[0] + 140.0 - y[1]
    dydt[1] = 0.02 * (0.2 * y[0] - y[1])
    if y[0] >= 30.0:  # never taken at the construction's test point
        y[0] = -65.0
        y[1] += 8.0


def test_a_write_into_an_input_in_a_branch_the_test_point_misses_is_refused():
    """An Izhikevich reset written into rhs ran with status success (a user's trial): y is the step's own stage
    state on a GPU; the source is read for such writes wherever they are."""
    with pytest.raises(ConfigurationError, match=r"rhs of system 'izh' assigns into its input y \(line \d+\).*"
                                                 r"a reset belongs in a terminal event"):
        ODESystem(_resets_in_a_branch, 2, name="izh")


def _decays(t, y, p, dydt):
    dydt[0] = -y[0]


def test_observables_that_write_y_are_named_too():
    with pytest.raises(ConfigurationError, match="observables of system 'o' assigns into its input y"):
        ODESystem(_decays, 1, name="o", observables=_observes_into_y, n_observables=1)


def _resets_through_an_alias(t, y, p, dydt):
    v = y
    if v[0] > 1.5:
        v[0] = 1.0
    dydt[0] = -y[0] + p[0]


def _scales_through_a_slice(t, y, p, dydt):
    a, b = y, p[0:1]
    b[0] = 2.0 * a[0]
    dydt[0] = -b[0] * y[0]


@cuda.jit(device=True)
def _clamp_state(y):
    if y[0] > 1.5:
        y[0] = 1.0


@cuda.jit(device=True)
def _clamp_twice(x):
    _clamp_state(x)


def _calls_a_helper_that_writes_y(t, y, p, dydt):
    _clamp_state(y)
    dydt[0] = -y[0] + p[0]


def _calls_it_two_levels_down(t, y, p, dydt):
    _clamp_twice(y[:])
    dydt[0] = -y[0] + p[0]


def _binds_the_view_again_later_in_a_loop(t, y, p, dydt):
    w = cuda.local.array(1, numba.float64)
    for _ in range(2):
        w[0] = 1.0  # y on the second iteration
        w = y[0:1]
    dydt[0] = -p[0] * y[0]


def _binds_the_view_in_one_branch(t, y, p, dydt):
    v = dydt
    if t > 1.0:
        v = y
    v[0] = -p[0] * y[0]


@pytest.mark.parametrize("rhs, written, via", [
    (_resets_through_an_alias, "y", r"\(line \d+\)"),
    (_scales_through_a_slice, "p", r"\(line \d+\)"),
    (_binds_the_view_again_later_in_a_loop, "y", r"\(line \d+\)"),
    (_binds_the_view_in_one_branch, "y", r"\(line \d+\)"),
    (_calls_a_helper_that_writes_y, "y", r"\(line \d+: it passes y to _clamp_state, which assigns into its argument "
                                         r"y at line \d+ of test_input_writes\.py\)"),
    (_calls_it_two_levels_down, "y", r"\(line \d+: it passes y to _clamp_twice, which passes it to _clamp_state, "
                                     r"which assigns into its argument y at line \d+ of test_input_writes\.py\)"),
], ids=["alias", "slice", "helper", "two-levels", "view-bound-later-in-a-loop", "view-in-one-branch"])
def test_a_write_into_an_input_through_an_alias_or_a_helper_is_refused(rhs, written, via):
    """``v = y; v[0] = 1.0`` and a device helper ``clamp_state(y)`` writing its argument ran with status 0 and a
    wrong trajectory (a user's trial): the source check only saw assignments to the input's own name."""
    with pytest.raises(ConfigurationError, match=rf"rhs of system 'w' assigns into its input {written} {via}: rhs "
                                                 r"must only read its inputs and write dydt"):
        ODESystem(rhs, 1, 1, name="w")


@cuda.jit(device=True)
def _decay_into(y, p, out):
    out[0] = -p[0] * y[0]


def _helper_writes_its_own_output(t, y, p, dydt):
    _decay_into(y, p, dydt)


def _writes_a_local_copy(t, y, p, dydt):
    v = cuda.local.array(1, numba.float64)
    v[0] = y[0]
    if v[0] > 1.5:
        v[0] = 1.5
    dydt[0] = -p[0] * v[0]


@pytest.mark.parametrize("rhs", [_helper_writes_its_own_output, _writes_a_local_copy])
def test_a_helper_writing_its_output_or_a_local_copy_of_y_passes(rhs):
    assert ODESystem(rhs, 1, 1, name="fine").n_states == 1


def _reuses_a_view_s_name_for_a_local_array(t, y, p, dydt):
    w = y[0:2]
    s = w[0] + w[1]
    w = cuda.local.array(2, numba.float64)  # the name bound again: w[0] = s writes the local array, not y
    w[0] = s
    w[1] = -y[1]
    dydt[0] = -p[0] * w[0]
    dydt[1] = w[1]


def _moves_a_view_from_y_to_dydt(t, y, p, dydt):
    v = y[0:2]
    a = v[0]
    v = dydt[0:2]
    v[0] = -p[0] * a
    v[1] = -y[1]


def _binds_a_view_before_each_write_in_a_loop(t, y, p, dydt):
    for i in range(2):
        w = y[i:i + 1]
        a = w[0]
        w = dydt[i:i + 1]
        w[0] = -p[0] * a


def _event_reuses_a_view_s_name(t, y, p):
    v = y[0:1]
    a = v[0]
    v = cuda.local.array(1, numba.float64)
    v[0] = a
    return v[0] - 0.5


@pytest.mark.parametrize("rhs, y0_end", [
    (_reuses_a_view_s_name_for_a_local_array, 0.5 * math.exp(-0.5)),  # y0' = -(y0 + y1): (1 - t) e^-t
    (_moves_a_view_from_y_to_dydt, math.exp(-0.5)),
    (_binds_a_view_before_each_write_in_a_loop, math.exp(-0.5)),
], ids=["local-array", "dydt", "in-a-loop"])
def test_a_name_bound_again_after_viewing_an_input_is_not_the_input(rhs, y0_end):
    """``w = y[0:2]; s = w[0] + w[1]`` then ``w = cuda.local.array(2, float64); w[0] = s`` was refused as a write
    into y, as was ``v = y[0:2]; a = v[0]; v = dydt[0:2]; v[0] = ...`` (a user's trial): the source check took every
    write to a name once bound to a view for the input's, whatever the name held at the write."""
    res = kernels.solve_ivp(ODESystem(rhs, 2, 1, name="reuse"), (0.0, 0.5), [[1.0, 1.0]] * 2, [[1.0]] * 2,
                            method="rk4", dt=0.1, progress=False)
    assert res.success
    np.testing.assert_allclose(res.y[:, -1], [[y0_end, math.exp(-0.5)]] * 2, rtol=1e-5)


def test_an_event_function_that_binds_a_view_s_name_again_is_accepted():
    assert kernels.Event(_event_reuses_a_view_s_name, terminal=True).terminal


def _event_resets(t, y, p):
    if y[0] >= 30.0:
        y[0] = -65.0
    return y[0] - 30.0


def test_an_event_function_that_writes_y_is_refused_with_the_restart_recipe():
    """An event g resetting y[0] = -65 gave status 0, event_count 0 and a wrong trajectory (a user's trial); the
    events module checks g with refuse_input_writes(g, "event function")."""
    with pytest.raises(ConfigurationError, match=r"^event function assigns into its input y \(line \d+\): an event "
                                                 r"function must only read t, y and p and return a number.*make the "
                                                 r"event terminal \(kernels\.Event\(g, terminal=True\)\), then start "
                                                 r"a new solve from the result's event_t and event_y"):
        refuse_input_writes(_event_resets, "event function")
    refuse_input_writes(lambda t, y, p: y[0] - 30.0, "event function")  # reading only passes


def _swapped(t, y, dydt, p):  # dydt and p swapped: the integrator passes p third
    dydt[0] = p[0] - 0.3 * (y[0] + 54.387)
    dydt[1] = -y[1]


def _swapped_out(t, u, out, params):
    out[0] = -params[0] * u[0]


def _scales_params(t, y, params, dydt):  # the right order, a genuine write into the parameters
    params[0] = 2.0
    dydt[0] = -params[0] * y[0]


@pytest.mark.parametrize("rhs, written, names", [(_swapped, "dydt", "t, y, dydt, p"),
                                                 (_swapped_out, "out", "t, u, out, params")])
def test_a_rhs_with_its_arguments_in_another_order_is_told_the_order(rhs, written, names):
    """A neuroscientist's trial: def rhs(t, y, dydt, p) was told to copy dydt into local variables and clamp."""
    with pytest.raises(ConfigurationError) as info:
        ODESystem(rhs, 1 + (rhs is _swapped), 1, name="swapped")
    message = str(info.value)
    assert f"assigns into its input {written}" in message and "(t, y, p, dydt)" in message
    assert f"names them ({names}), in another order" in message and "def " + rhs.__name__ + "(t, y, p, dydt)" in message
    assert "local variables" not in message


def _output_named_yp(t, y, p, yp):  # the right order, the output under a name of its own
    p[0] = 2.0
    yp[0] = -y[0]


def _state_named_f(t, f, p, dfdt):  # the state named f, as an output may be: written, not swapped
    f[0] = 0.0
    dfdt[0] = -f[0]


@pytest.mark.parametrize("rhs, written", [(_scales_params, "params"), (_output_named_yp, "p"), (_state_named_f, "f")])
def test_a_genuine_write_into_an_input_keeps_the_copy_advice(rhs, written):
    """A regression hunt: rhs(t, y, p, yp) writing p was told "its p receives p ... another order", and so was
    rhs(t, f, p, dfdt) writing its state f."""
    with pytest.raises(ConfigurationError) as info:
        ODESystem(rhs, 1, 1, name="scales")
    assert f"assigns into its input {written}" in str(info.value) and "local variables" in str(info.value)
    assert "another order" not in str(info.value)


def _jvp_swapped(t, y, v, p, out):  # reads p as v and v as p, writes only out
    out[0] = -p[0] * v[0]


def _driven_swapped(t, y, u, p, dydt):  # drivers and params swapped, writes only dydt
    dydt[0] = -p[0] * y[0] + u[0]


def _own_names(t, u, p, du):  # Julia-style names of its own, in the order passed
    du[0] = -p[0] * u[0]


def _jvp_own_names(t, x, p, y, v):  # the state x, the direction y, the output v: correct, in names of its own
    v[0] = -p[0] * y[0]


def _driven_own_names(t, u, p, y, du):  # the state u, a driver named y: correct
    du[0] = -p[0] * u[0] + y[0]


def test_arguments_named_in_another_order_are_told_the_order_without_a_write():
    """A regression hunt: jvp(t, y, v, p, out) and a driven rhs(t, y, u, p, dydt) write nothing they should not, so
    the write check passed them and they ran with the parameters read as the vector (or the drivers)."""
    def rhs(t, y, p, dydt):
        dydt[0] = -p[0] * y[0]

    with pytest.raises(ConfigurationError) as info:
        ODESystem(rhs, 1, 1, jvp=_jvp_swapped, name="jvps")
    message = str(info.value)
    assert "jvp of system 'jvps' names its arguments (t, y, v, p, out)" in message
    assert "its v receives p, its p receives v" in message and "def _jvp_swapped(t, y, p, v, out)" in message
    with pytest.raises(ConfigurationError, match=r"its u receives p, its p receives u: write it as "
                                                 r"def _driven_swapped\(t, y, p, u, dydt\)"):
        ODESystem(_driven_swapped, 1, 1, n_drivers=1, name="driven")
    assert ODESystem(_own_names, 1, 1, name="own").n_states == 1


def test_names_of_its_own_that_reuse_the_passed_names_elsewhere_are_accepted():
    """A regression hunt: jvp(t, x, p, y, v) and a driven rhs(t, u, p, y, du), correct code, were refused by a
    test of two names out of place; only the passed names themselves, in another order, are a swap."""
    def rhs(t, y, p, dydt):
        dydt[0] = -p[0] * y[0]

    assert ODESystem(rhs, 1, 1, jvp=_jvp_own_names, name="jvp_own").n_states == 1
    assert ODESystem(_driven_own_names, 1, 1, n_drivers=1, name="driven_own").n_states == 1
