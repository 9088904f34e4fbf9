"""Event functions checked at the solve: indices past the system's arrays (run on the host with its test arrays)
and DiffEq's callback arguments (affect=, rootfind=) told what to do here; an event's ``direction``: one rule for
:class:`kernels.Event` (exactly +1, -1 or 0) and SciPy's ``g.direction`` (read by its sign)."""

import decimal
import fractions
import math

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError, Event


def _decay_of_rate_p0(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


RATE_DECAY = kernels.ODESystem(_decay_of_rate_p0, 1, n_params=1, name="rate_decay")


def test_an_event_reading_past_the_parameters_is_refused_at_the_solve():
    """An Event does not know its system and g never ran on the host at its sizes: y[0] - p[1] on a 1-parameter
    system reached the kernel (on a GPU a read past the row, with no error; a DiffEqGPU.jl user's trial)."""
    event = Event(lambda t, y, p: y[0] - p[1], terminal=True)
    with pytest.raises(ConfigurationError, match=r"^events\[0\] function indexes past its arrays with system "
                                                 r"'rate_decay' \(at t = 0, y = \[0\.5\]; y of 1, p of 1 elements, at "
                                                 r"test_event_checks.py:\d+\): IndexError: index 1 is out of bounds.*On a "
                                                 r"GPU p\[1\], an index out of range, reads memory.*index y below 1 "
                                                 r"and p below 1 \(0-based\)$"):
        kernels.solve_ivp(RATE_DECAY, (0.0, 1.0), [1.0], [1.0], precision=np.float64, events=event, progress=False)


def _second_state_below_zero(t, y, p):
    if y[0] < 0.0:
        return y[1]
    return y[0] - 0.5


def test_an_event_indexing_past_the_state_in_a_branch_is_refused_as_the_second_event():
    events = [Event(lambda t, y, p: y[0] - 0.5), Event(_second_state_below_zero)]
    with pytest.raises(ConfigurationError, match=r"^events\[1\] function indexes past its arrays .*y\[1\], an index "
                                                 r"out of range, reads memory"):
        kernels.Integrator(RATE_DECAY, "tsit5", precision=np.float64, events=events).solve(
            (0.0, 1.0), [1.0], [1.0], progress=False)


def test_an_event_within_the_system_s_arrays_still_solves():
    result = kernels.solve_ivp(RATE_DECAY, (0.0, 2.0), [1.0], [1.0], precision=np.float64, progress=False,
                               events=Event(lambda t, y, p: y[0] - 0.5 * p[0], terminal=True))
    np.testing.assert_allclose(result.event_t, [math.log(2.0)], rtol=1e-5)


@pytest.mark.parametrize("call", [
    lambda g: Event(g, terminal=True, direction=-1, affect=None),
    lambda g: Event(g, True, -1, lambda integrator: None),  # affect! as DiffEq's second argument
    lambda g: Event(g, terminal=True, **{"affect!": None}),
])
def test_a_diffeq_affect_is_told_the_terminal_event_and_new_solve_recipe(call):
    """Event(g, terminal=True, affect=...) raised a bare TypeError about 'affect' (a DiffEqGPU.jl user's trial)."""
    with pytest.raises(ConfigurationError, match=r"^Event takes no affect function: .*a terminal event, then a new "
                                                 r"solve from result.event_y .*'Summaries, counters and events'"):
        call(lambda t, y, p: y[0])


def test_an_event_s_unknown_keyword_is_named_with_the_closest_or_what_it_was():
    with pytest.raises(ConfigurationError, match=r"got the keyword 'terminate': did you mean 'terminal'\?"):
        Event(lambda t, y, p: y[0], terminate=True)
    with pytest.raises(ConfigurationError, match=r"'rootfind' is a DifferentialEquations.jl callback option"):
        Event(lambda t, y, p: y[0], rootfind=True)
    assert Event(function=lambda t, y, p: y[0], terminal=True).terminal  # the fields by name still pass


# Event(g, direction=2) was refused with "must be -1, 0 or +1; got 2" while g.direction = 2 was taken as +1, and
# direction="up" got the same words (a neuroscientist's trial): the message says what each value means.
MEANING = (r"must be \+1 \(upward crossings, g rising through 0\), -1 \(downward, g falling through 0\) or 0 "
           r"\(both\); got ")


def _v(t, y, p):
    return y[0]


def _with_direction(direction):
    def g(t, y, p):
        return y[0]

    g.direction = direction
    return g


@pytest.mark.parametrize("direction, words", [
    (2, r"Event direction " + MEANING + r"2; SciPy's g.direction is read by its sign, an Event's direction is not: "
        r"pass direction=\+1$"),
    (-0.5, r"got -0.5; SciPy's g.direction is read by its sign.*: pass direction=-1$"),
    ("up", r"Event direction " + MEANING + r"'up': pass direction=\+1$"),
    ("falling", r"got 'falling': pass direction=-1$"),
    ("both", r"got 'both': pass direction=0$"),
    ([1], MEANING + r"\[1\]$"),
    (True, MEANING + r"True$"),
    (float("nan"), MEANING + r"nan$"),
])
def test_an_event_direction_other_than_plus_minus_one_or_zero_is_refused_with_what_each_means(direction, words):
    with pytest.raises(ConfigurationError, match=words):
        Event(_v, direction=direction)


@pytest.mark.parametrize("direction, expected", [(1, 1), (-1, -1), (0, 0), (1.0, 1), (-1.0, -1)])
def test_an_event_takes_plus_minus_one_and_zero(direction, expected):
    event = Event(_v, direction=direction)
    assert event.direction == expected and type(event.direction) is int


@pytest.mark.parametrize("direction, expected", [(2, 1), (-0.5, -1), (0.0, 0), (1, 1)])
def test_scipys_direction_attribute_is_read_by_its_sign(direction, expected):
    (event,) = kernels.events.as_events(_with_direction(direction))
    assert event.direction == expected


def test_a_direction_attribute_that_is_no_number_is_refused_by_its_own_name():
    with pytest.raises(ConfigurationError, match=r"event function attribute direction " + MEANING
                       + r"'up': set g.direction = \+1$"):
        kernels.events.as_events(_with_direction("up"))


# check_direction (new that day) refused what the checks before it took: a 0-d array, a Decimal, and SciPy's
# g.direction = inf (SciPy reads its sign; +1 before): a regression hunt.  Any real type passes by its value.
@pytest.mark.parametrize("direction, expected", [
    (np.array(1), 1), (np.array(-1.0), -1), (decimal.Decimal(1), 1), (decimal.Decimal("-0"), 0),
    (fractions.Fraction(-1), -1), (np.float32(1.0), 1), (np.uint8(1), 1), (np.array(decimal.Decimal(-1)), -1),
])
def test_an_event_takes_any_real_number_type_equal_to_plus_minus_one_or_zero(direction, expected):
    event = Event(_v, direction=direction)
    assert event.direction == expected and type(event.direction) is int


@pytest.mark.parametrize("direction, expected", [
    (float("inf"), 1), (-np.inf, -1), (np.array(1), 1), (np.array(-0.25), -1), (decimal.Decimal("2.5"), 1),
    (decimal.Decimal("-Infinity"), -1), (fractions.Fraction(-1, 3), -1),
    pytest.param(10 ** 400, 1, id="int-past-float"), (np.float32(0.0), 0),
])
def test_scipys_direction_attribute_of_any_real_type_is_read_by_its_sign(direction, expected):
    (event,) = kernels.events.as_events(_with_direction(direction))
    assert event.direction == expected and type(event.direction) is int


@pytest.mark.parametrize("direction, shown", [
    (float("nan"), r"nan"), (np.array(np.nan), r"array of shape \(\) and dtype float64"),
    (decimal.Decimal("NaN"), r"Decimal\('NaN'\)"), (decimal.Decimal("sNaN"), r"Decimal\('sNaN'\)"),
    (True, r"True"), (np.array(True), r"array of shape \(\) and dtype bool"), ([1], r"\[1\]"),
    (1 + 0j, r"\(1\+0j\)"), (None, r"None"),
])
def test_a_direction_that_is_no_real_number_stays_refused_both_ways(direction, shown):
    with pytest.raises(ConfigurationError, match=r"^Event direction " + MEANING + shown + r"$"):
        Event(_v, direction=direction)
    with pytest.raises(ConfigurationError, match=r"^event function attribute direction " + MEANING + shown + r"$"):
        kernels.events.as_events(_with_direction(direction))


def test_an_event_direction_of_another_real_type_and_value_is_told_its_sign():
    with pytest.raises(ConfigurationError, match=r"got Decimal\('2'\); SciPy's g.direction is read by its sign.*: "
                                                 r"pass direction=\+1$"):
        Event(_v, direction=decimal.Decimal(2))
    with pytest.raises(ConfigurationError, match=r"got -inf; SciPy's .*: pass direction=-1$"):
        Event(_v, direction=-np.inf)


def test_the_checks_moved_out_of_events_are_still_reached_there():
    """kernels.integrator imports the checks from kernels.events: they live in kernels.event_checks now."""
    from kernels import event_checks, events

    for name in ("check_events_compile", "check_events_unchanged", "event_values"):
        assert getattr(events, name) is getattr(event_checks, name) and name in events.__all__


def test_an_event_terminal_count_gets_the_same_remedy_as_scipys_attribute():
    """A neuroscientist's trial: Event(g, terminal=3) said only "must be True or False; got 3", where g.terminal = 3
    on a plain function named the remedy (event_count).  One text for both."""
    from kernels.event_checks import count_refused

    def g(t, y, p):
        return y[0]

    with pytest.raises(ConfigurationError) as info:
        Event(g, terminal=3, direction=1)
    assert str(info.value) == "Event terminal=3: " + count_refused(3) and "event_count" in str(info.value)
    g.terminal = 3
    with pytest.raises(ConfigurationError) as attribute:
        kernels.events.as_events(g)
    assert str(attribute.value).endswith(count_refused(3))
    for value in ("yes", 1.5, None):  # not a count: the rule alone
        with pytest.raises(ConfigurationError, match="Event terminal must be True or False"):
            Event(g, terminal=value)
    assert Event(g, terminal=np.bool_(True)).terminal is True


def _extinct(t, y, p):
    return y[0] - 1e-50


def _beyond_float32(t, y, p):
    return y[0] - 1e40


EXTINCTION_LEVEL = 1e-50


def _extinct_at_global(t, y, p):
    return y[0] - EXTINCTION_LEVEL


def _extinct_in_double(t, y, p):
    return y[0] - np.float64(1e-50)


def _held_levels(t, y, p):
    return y[0] - 1e-30 + 1e-40 * 0.0  # 1e-30 float32 holds; 1e-40 as a subnormal, as a parameter's is kept


def _solve_with(g, precision):
    return kernels.solve_ivp(RATE_DECAY, (0.0, 200.0), [1.0], [[1.0]], precision=precision, rtol=1e-5,
                             atol=1e-60 if precision is np.float64 else 1e-6,
                             events=Event(g, terminal=True, direction=-1), progress=False)


def test_an_event_literal_float32_rounds_to_zero_is_refused_in_float32():
    """y[0] - 1e-50 never fired in float32 (status success, event_t NaN, no word) where float64 stopped at
    t = 115.13 (a user's trial): refused as a parameter of 1e-50 is, with the same remedy."""
    with pytest.raises(ConfigurationError, match=r"^events\[0\] function '_extinct' uses the literal 1e-50, smaller "
                                                 r"in magnitude than float32's smallest number \(1\.4e-45\): .*never "
                                                 r"reach it.*rescale the states \(units where it is above 1\.2e-38\) "
                                                 r"or use precision=np\.float64$"):
        _solve_with(_extinct, np.float32)
    res = _solve_with(_extinct, np.float64)
    assert res.event_t[0] == pytest.approx(50 * math.log(10), rel=1e-4)


@pytest.mark.parametrize("g, shown", [
    (_beyond_float32, r"the literal 1e\+40, larger in magnitude than float32's largest number \(3\.4e\+38\)"),
    (_extinct_at_global, r"EXTINCTION_LEVEL = 1e-50 \(from its closure or module\), smaller"),
])
def test_an_event_float_float32_cannot_hold_is_named_in_float32(g, shown):
    with pytest.raises(ConfigurationError, match=rf"^events\[0\] function '{g.__name__}' uses {shown}"):
        _solve_with(g, np.float32)


def test_an_event_lambda_of_a_list_names_its_index_and_literal():
    events = [Event(lambda t, y, p: y[0] - 0.5), Event(lambda t, y, p: y[0] - 1e-50)]
    with pytest.raises(ConfigurationError, match=r"^events\[1\] function '<lambda>' uses the literal 1e-50"):
        kernels.solve_ivp(RATE_DECAY, (0.0, 1.0), [1.0], [[1.0]], precision=np.float32, events=events,
                          progress=False)


@pytest.mark.parametrize("g", [_extinct_in_double, _held_levels])
def test_an_event_float_float32_holds_or_a_cast_keeps_is_not_refused(g):
    res = _solve_with(g, np.float32)
    assert res.status.tolist() in ([kernels.Status.SUCCESS], [kernels.Status.EVENT])


def test_an_events_unheld_floats_are_kept_on_the_event_and_read_once_for_its_solves(monkeypatch):
    """The source of an event's function is read once per event and precision (kernels/events.py,
    ``Event.unheld_floats``), not at each solve: an Integrator keeps its events.  Two events of one function keep
    their own record, and the record is no part of the event's value (equal events, one hash)."""
    import kernels.events as events_module

    read = []
    real = events_module.unheld_floats
    monkeypatch.setattr(events_module, "unheld_floats", lambda function, scalar: read.append(scalar) or real(
        function, scalar))

    def g(t, y, p):
        return y[0] - 0.5

    integrator = kernels.Integrator(RATE_DECAY, "tsit5", precision=np.float32, events=Event(g, direction=-1))
    for _ in range(2):
        assert integrator.solve(t_span=(0.0, 1.0), y0=[1.0], params=[[1.0]], progress=False).success
    assert read == [np.float32]
    first, second = Event(g, direction=-1), Event(g, direction=-1)
    assert first.unheld_floats(np.float32) == [] and read == [np.float32] * 2
    assert second.unheld_floats(np.float32) == [] and read == [np.float32] * 3  # its own record
    assert first == second and hash(first) == hash(second) and "_unheld=" not in repr(first)


def test_a_condition_in_julias_argument_order_is_told_the_order_here():
    """A DiffEqGPU.jl user's trial: condition(u, t, integrator), ContinuousCallback's order, has three arguments, so it
    passed the count and failed the compile with Numba's "No implementation of function getitem(float64, ...)"."""
    def condition(u, t, integrator):
        return u[0] - 1.0

    with pytest.raises(kernels.ConfigurationError, match=r"^Event function condition\(u, t, integrator\) takes t "
                                                         r"second, as Julia's ContinuousCallback .* write it as def "
                                                         r"condition\(t, y, p\)$"):
        kernels.Event(condition)
    kernels.Event(lambda t, y, p: y[0] - 1.0)  # this library's order passes


def test_julias_condition_and_affect_pair_is_told_what_events_are():
    """The same trial: events=(condition, affect!) read as two events, and the second failed with "must take 3
    arguments (t, y, p); got a function of 1 positional arguments", naming neither it nor the callback habit."""
    def condition(t, y, p):
        return y[0]

    def affect(integrator):
        return None

    with pytest.raises(kernels.ConfigurationError, match=r"^events=\(condition, affect\) reads as two events, and the "
                                                         r"second takes one argument, as a ContinuousCallback's "
                                                         r"affect!\(integrator\) does: .*terminal=True"):
        kernels.solve_ivp(kernels.lorenz(), (0.0, 1.0), [1.0, 1.0, 1.0], events=(condition, affect), progress=False)
