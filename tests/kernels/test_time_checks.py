"""The time arguments' checks (kernels.time_checks): the span, the save times and their messages."""

import functools
import re

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError


def test_float32_times_that_round_together_are_told_to_be_float64():
    # 1000 float32 save times from an epoch of 7e8 hold 157 values: "pass np.unique(t_eval)" would have dropped 843
    # saves, and a float32 t_span of 30 s there was "empty" (an orbital mechanic's trial)
    from kernels.time_checks import check_span, check_t_eval

    with pytest.raises(ConfigurationError, match=r"t_eval is float32, which holds times near 7e\+08 only to 64: if "
                                                 r"these saves were meant to differ, make them in float64 \(np.unique "
                                                 r"would drop"):
        check_t_eval(np.linspace(7e8, 7e8 + 1000.0, 1000).astype(np.float32), 7e8, 7e8 + 2000.0)
    with pytest.raises(ConfigurationError, match=r"t_span holds float32 times, which hold times near 7e\+08 only "
                                                 r"to 64: if its ends were meant to differ, give them in float64"):
        check_span((np.float32(7e8), np.float32(7e8 + 30.0)))
    with pytest.raises(ConfigurationError, match=r"pass np.unique\(t_eval\)"):
        check_t_eval([0.0, 1.0, 1.0], 0.0, 2.0)


def test_per_trajectory_spans_are_told_the_span_is_shared():
    from kernels.time_checks import check_span

    with pytest.raises(ConfigurationError, match=r"shared by the whole batch; .*keep each epoch as a parameter"):
        check_span((np.array([0.0, 10.0]), np.array([100.0, 110.0])))


def test_equal_float32_times_get_both_remedies():
    # Equal float32 times may be equal as given ([0.5, 1, 1, 2], a span (2, 2): float64 fixes nothing, a regression
    # hunt) or distinct times rounded together ([1e5 + 0.5, 1e5 + 0.501], a span (1e5, 1e5 + 0.001): np.unique
    # drops a save, the next regression hunt); the values cannot tell which, so both remedies are given
    from kernels.time_checks import check_span, check_t_eval

    for times in ([0.5, 1.0, 1.0, 2.0], [1e5 + 0.5, 1e5 + 0.501]):
        arr = np.array(times, np.float32)
        with pytest.raises(ConfigurationError, match=r"if these saves were meant to differ, make them in float64 .*"
                                                     r"if they repeat as given, pass np.unique\(t_eval\)$"):
            check_t_eval(arr, 0.0, 2e5)
    for span in ((2.0, 2.0), (1e5, 1e5 + 0.001)):
        with pytest.raises(ConfigurationError, match=r"if its ends were meant to differ, give them in float64; if "
                                                     r"not, the state at t0 is y0 itself$"):
            check_span(tuple(np.float32(v) for v in span))
    with pytest.raises(ConfigurationError, match=r"got \(2.0, 2.0\): the span is empty: the state at t0 is y0 itself$"):
        check_span((2.0, 2.0))  # float64 as given: equal as given


def _spiking_cell(t, y, p, u, dydt):
    dydt[0] = (u[0] - y[0]) / p[0]


def test_per_trajectory_spans_tell_driven_models_to_write_their_input_in_rhs():
    # Restarting each trajectory from its own terminal event (spike times): t + p[k] shifts the rhs's clock but not
    # the drivers', which are sampled in absolute time and shared by the batch (a neuroscientist's trial)
    from kernels.time_checks import check_span

    words = (r"; with drivers, which are sampled in absolute time and shared by the batch, write the input in rhs as "
             r"a function of t \+ p\[k\] too, instead of as a driver\)$")
    with pytest.raises(ConfigurationError, match=r"keep each epoch as a parameter \(t \+ p\[k\] in rhs" + words):
        check_span((np.array([0.0, 10.0]), np.array([100.0, 110.0])))
    cell = kernels.ODESystem(_spiking_cell, 1, 1, n_drivers=1, name="spiking_cell")
    drivers = (np.linspace(0.0, 20.0, 21), np.ones((21, 1)))
    with pytest.raises(ConfigurationError, match=words):  # as a solve with drivers says it
        kernels.solve_ivp(cell, (np.array([0.0, 3.2]), 20.0), [[0.0], [0.0]], [[1.0], [1.0]], drivers=drivers,
                          progress=False)


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


DECAY_RATES = np.array([[0.1], [0.2], [0.3]])
OWN_ENDS = np.array([[0.0, 4.0], [0.0, 6.0], [0.0, 8.0]])  # each patient's own span (a pharmacologist's first try)
OWN_TIMES = np.array([[1.0, 2.0], [1.5, 3.0], [0.5, 8.0]])  # each patient's own sampling times


def test_per_trajectory_end_times_are_told_to_save_at_each_end():
    # An (N, 2) t_span was told only "t_span must be a pair (t0, t_end) of real numbers", with no remedy
    from kernels.time_checks import check_span

    remedy = (r"shared by the whole batch; got array of shape \(3, 2\) and dtype float64, a span per trajectory: they "
              r"start at 0.0 and end at 3 different times, 4.0 to 8.0: integrate to the latest end, t_span=\(0.0, "
              r"8.0\), .*t_eval=np.unique\(ends\) .*res.y\[i, np.searchsorted\(res.t, ends\[i\]\)\]; or keep each "
              r"trajectory's duration as a parameter .*\(README, 'Integrating batches', Saves\)$")
    with pytest.raises(ConfigurationError, match=remedy):
        check_span(OWN_ENDS)
    for transposed in (OWN_ENDS.T, OWN_ENDS[:2].tolist(), (0.0, OWN_ENDS[:, 1])):  # (2, N), rows as lists, a pair
        with pytest.raises(ConfigurationError, match=r"a span per trajectory: they start at 0.0 and end at"):
            check_span(transposed)
    with pytest.raises(ConfigurationError, match=r"every row is the same span: pass it once, t_span=\(0.0, 8.0\)$"):
        check_span(np.array([[0.0, 8.0], [0.0, 8.0], [0.0, 8.0]]))
    with pytest.raises(ConfigurationError, match=r"own epochs and durations, integrate from 0 to the longest duration, "
                                                 r"t_span=\(0.0, 8.0\), .*keep each epoch as a parameter"):
        check_span(np.array([[0.0, 4.0], [2.0, 10.0]]))
    with pytest.raises(ConfigurationError, match=r"shared by the whole batch; got .*: for trajectories with their own "
                                                 r"ends, integrate to the latest end"):
        check_span(np.zeros((3, 3)))  # neither rows (t0, t_end) nor a pair: both remedies


def test_per_trajectory_save_times_are_told_to_pass_their_union():
    # A row of save times per trajectory was told only "t_eval must be a non-empty 1-D array; got shape (3, 2)"
    from kernels.time_checks import check_t_eval

    remedy = (r"t_eval must be a non-empty 1-D array of save times, shared by the whole batch as t_span is; got shape "
              r"\(3, 2\), rows of times: pass the sorted union of every trajectory's own times, t_eval=np.unique\("
              r"np.concatenate\(rows\)\) .*res.y\[i, np.searchsorted\(res.t, rows\[i\]\)\] \(README, 'Integrating "
              r"batches', Saves\)$")
    with pytest.raises(ConfigurationError, match=remedy):
        check_t_eval(OWN_TIMES, 0.0, 8.0)
    with pytest.raises(ConfigurationError, match=r"got \[\[1.0, 2.0\], \[1.5, 3.0, 4.0\]\], rows of times: pass"):
        check_t_eval([[1.0, 2.0], [1.5, 3.0, 4.0]], 0.0, 8.0)  # rows of their own lengths
    with pytest.raises(ConfigurationError, match=r"a single row or column of times is np.ravel\(t_eval\)"):
        check_t_eval(OWN_TIMES[:1], 0.0, 8.0)


def test_per_trajectory_times_get_one_message_from_solve_ivp_and_integrator_solve():
    system = kernels.ODESystem(_decay, n_states=1, n_params=1, name="decay")
    integrator = kernels.Integrator(system, method="tsit5")
    for span, t_eval in ((OWN_ENDS, None), ((0.0, 8.0), OWN_TIMES)):
        messages = []
        for solve in (functools.partial(kernels.solve_ivp, system), integrator.solve):
            with pytest.raises(ConfigurationError, match="shared by the whole batch") as caught:
                solve(span, [1.0], DECAY_RATES, t_eval=t_eval, progress=False)
            messages.append(str(caught.value))
        assert messages[0] == messages[1]


def test_the_remedies_read_each_trajectorys_own_times():
    # What the messages tell to do gives each trajectory its own end and its own sampling times
    system = kernels.ODESystem(_decay, n_states=1, n_params=1, name="decay")
    ends, rows = OWN_ENDS[:, 1], list(OWN_TIMES)
    res = kernels.solve_ivp(system, (0.0, ends.max()), [1.0], DECAY_RATES, precision=np.float64, rtol=1e-10,
                            atol=1e-12, t_eval=np.unique(np.concatenate(rows + [ends])), progress=False)
    rates = DECAY_RATES[:, 0]
    at_end = [res.y[i, np.searchsorted(res.t, ends[i]), 0] for i in range(3)]
    np.testing.assert_allclose(at_end, np.exp(-rates * ends), rtol=1e-8)
    for i, times in enumerate(rows):
        np.testing.assert_allclose(res.y[i, np.searchsorted(res.t, times), 0], np.exp(-rates[i] * times), rtol=1e-8)


def test_per_trajectory_times_get_the_same_message_on_dask(client):
    # The client's checks (kernels.distributed_inputs.host_checks) are the one-process solve's
    system = kernels.ODESystem(_decay, n_states=1, n_params=1, name="decay")
    for span, t_eval in ((OWN_ENDS, None), ((0.0, 8.0), OWN_TIMES)):
        with pytest.raises(ConfigurationError, match=r"shared by the whole batch.*np.searchsorted") as local:
            kernels.solve_ivp(system, span, [1.0], DECAY_RATES, t_eval=t_eval, progress=False)
        with pytest.raises(ConfigurationError) as spread:
            kernels.solve_ivp(system, span, [1.0], DECAY_RATES, t_eval=t_eval, progress=False, client=client)
        assert str(spread.value) == str(local.value)


def test_a_one_shot_iterable_span_is_read_once():
    """The per-trajectory check unpacked an iterator that the pair check then found empty (a regression hunt)."""
    from kernels.time_checks import check_span

    assert check_span(iter((0.0, 0.01))) == (0.0, 0.01)
    assert check_span(float(t) for t in (0, 2)) == (0.0, 2.0)


def test_a_span_of_one_element_arrays_is_told_to_pass_it_once():
    """(np.array([0.0]), np.array([1.0])) was told "pass it once" by the first per-trajectory check, then only that
    t_span[0] must be a real number once plain pairs skipped it (a regression hunt)."""
    from kernels.time_checks import check_span

    with pytest.raises(ConfigurationError, match=r"every row is the same span: pass it once, t_span=\(0.0, 1.0\)"):
        check_span((np.array([0.0]), np.array([1.0])))
    assert check_span((np.array(0.0), np.float32(1.0))) == (0.0, 1.0)


def test_saves_past_the_span_are_told_what_to_do():
    """"t_eval must lie within t_span [0.0, 50.0]; got [10.0, 60.0]" said no more (an epidemiologist's trial): drop
    the times outside, whose expression runs, or extend the span to the last one."""
    from kernels.time_checks import check_t_eval

    t_eval = [10.0, 60.0]
    with pytest.raises(ConfigurationError) as info:
        check_t_eval(t_eval, 0.0, 50.0)
    text = str(info.value)
    assert text.startswith("t_eval must lie within t_span [0.0, 50.0]; got [10.0, 60.0]: 1 of the 2 times lies "
                           "outside it. Drop it, t_eval = [t for t in t_eval if 0.0 <= t <= 50.0], or extend t_span "
                           "to (0.0, 60.0) to integrate up to the last one")
    assert list(check_t_eval(eval("[t for t in t_eval if 0.0 <= t <= 50.0]", {"t_eval": t_eval}), 0.0, 50.0)) == [10.0]
    assert list(check_t_eval(t_eval, 0.0, 60.0)) == t_eval
    with pytest.raises(ConfigurationError, match=r"Drop it, t_eval = t_eval\[\(t_eval >= 0.0\) & \(t_eval <= 50.0\)\]; "
                                                 r"a save before t0 needs t_span to start there, \(-1.0, ...\)"):
        check_t_eval(np.array([-1.0, 10.0]), 0.0, 50.0)


@pytest.mark.parametrize("t_span, fault", [
    (np.array([[0.0, 1.0], [2.0, 1.0]]), "trajectory 1's span (2.0, 1.0) ends before it starts, and integration runs "
                                         "forward only (t_end > t0): to integrate backwards, solve dz/ds = -f(-s, z)"),
    (np.array([[0.0, 1.0], [2.0, 1.0], [3.0, -1.0]]), "trajectory 1's span (2.0, 1.0) (and 1 more) end before they "
                                                      "start"),
    ((np.array([0.0, np.nan]), 5.0), "trajectory 1's span (nan, 5.0) is not finite: give every t0 and t_end as a "
                                     "finite number"),
    (np.array([[0.0, np.inf], [1.0, 2.0]]), "trajectory 0's span (0.0, inf) is not finite"),
    (np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]), "every span is empty (t_end == t0): the state at t0 is y0 "
                                                     "itself"),
])
def test_per_trajectory_spans_that_no_shared_span_stands_for_are_named_first(t_span, fault):
    """A reversed row was not called reversed and was told to save at np.unique(durations), a negative one among them;
    a NaN end was told t_span=(0.0, nan) (a regression hunt): both refused in turn.  The fault comes first, and
    every span the message offers is accepted."""
    from kernels.time_checks import check_span

    with pytest.raises(ConfigurationError) as info:
        check_span(t_span)
    text = str(info.value)
    assert fault in text and text.index(fault) < text.index("With every span finite and ending after it starts")
    # no span or saves built from the faulty spans
    assert not re.search(r"t_span=\(|durations|\bnan\b|\binf\b", text.split(fault)[1])


@pytest.mark.parametrize("scalar", [3600.0, np.float32(3600.0), np.array(3600.0), 3600])
def test_a_single_save_time_given_as_a_number_is_told_to_pass_a_list(scalar):
    # t_eval=3600. was told "t_eval must be a non-empty 1-D array; got shape ()" (a chemist's trial)
    decay = kernels.ODESystem(_decay, 1, 1, name="decay_scalar_t_eval")
    told = (r"^t_eval must be a 1-D array of save times; got the scalar 3600.0: pass t_eval=\[3600.0\] to save at "
            r"that one time \(without t_eval, only the state at t_span\[1\] is saved\)$")
    with pytest.raises(ConfigurationError, match=told):
        kernels.solve_ivp(decay, (0.0, 7200.0), [1.0], [1e-4], t_eval=scalar, progress=False)
    # what it says is so: the list saves that one time, and no t_eval saves t_span[1] alone
    listed = kernels.solve_ivp(decay, (0.0, 7200.0), [1.0], [1e-4], t_eval=[3600.0], progress=False)
    assert listed.t.tolist() == [3600.0] and listed.success
    default = kernels.solve_ivp(decay, (0.0, 7200.0), [1.0], [1e-4], progress=False)
    assert default.t.tolist() == [7200.0]
    # silent elsewhere: an empty list and rows of times keep their own refusals
    from kernels.time_checks import check_t_eval

    with pytest.raises(ConfigurationError, match=r"t_eval must be a non-empty 1-D array; got shape \(0,\): every "
                                                 r"run saves at least one time \(SciPy's empty t_eval saves none\); "
                                                 r"leave t_eval out to save the end of t_span alone"):
        check_t_eval([], 0.0, 8.0)
    with pytest.raises(ConfigurationError, match=r"rows of times: pass the sorted union") as refused:
        check_t_eval(OWN_TIMES, 0.0, 8.0)
    assert "scalar" not in str(refused.value)


def test_save_times_in_another_unit_than_the_span_are_asked_about():
    # a laser physicist gave t_eval in ns with t_span in s and was told to extend t_span to (0, 20): 1e13 photon
    # lifetimes; a save time just past the end keeps the extend-the-span remedy
    from kernels.time_checks import check_t_eval

    with pytest.raises(ConfigurationError, match=r"every save time lies outside it, the largest about 1e9 times the "
                                                 r"span's end: check that t_eval and t_span are in the same time unit"):
        check_t_eval([5.0, 10.0, 20.0], 0.0, 2e-8)
    with pytest.raises(ConfigurationError, match=r"extend t_span to \(0.0, 12.0\)") as near:
        check_t_eval([5.0, 12.0], 0.0, 10.0)
    assert "time unit" not in str(near.value)
