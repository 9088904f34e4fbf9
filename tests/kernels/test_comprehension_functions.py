"""Lambdas made in comprehensions: events and systems built from them, solved as Python calls them.

A lambda written in a list comprehension has the qualified name ``<listcomp>.<lambda>``; the source checks read
``<listcomp>`` as a class and raised ``SyntaxError: class <listcomp>:`` from inside the library (a user's trial).
Python's late binding gives every such lambda the loop variable's last value: the solves must give what Python
gives, and say why.
"""

import math
import warnings

import numpy as np
import pytest
from numba import cuda

import kernels
from kernels import ConfigurationError, Event


def _decay3(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]
    dydt[1] = -p[1] * y[1]
    dydt[2] = -p[2] * y[2]


DECAY3 = kernels.ODESystem(_decay3, 3, 3, name="decay3")
RATES = [[4.0, 2.0, 1.0]]  # y[i] reaches 1e-3 at ln(1000) / rate: first y[0], last y[2]


@cuda.jit(device=True)
def _decay_at(y, dydt, rate):
    dydt[0] = -rate * y[0]


def _quiet(make):
    """``make()`` with its warnings recorded: ``(value, warnings)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        return make(), caught


def _events_of_a_list():
    return [Event(lambda t, y, p: y[i] - 1e-3) for i in range(2)]


def _events_of_a_generator():
    return list(Event(lambda t, y, p: y[i] - 1e-3) for i in range(2))


def _events_of_a_dict():
    return list({i: Event(lambda t, y, p: y[i] - 1e-3) for i in range(2)}.values())


def _events_of_a_set():
    return list({Event(lambda t, y, p: y[0] - 1e-3, direction=d) for d in (1, -1)})


@pytest.mark.parametrize("make", [_events_of_a_list, _events_of_a_generator, _events_of_a_dict, _events_of_a_set])
def test_event_lambdas_made_in_comprehensions_build(make):
    events, _ = _quiet(make)
    assert len(events) == 2


def test_event_list_comprehension_solves_as_python_calls_each_lambda():
    events, caught = _quiet(lambda: [Event(lambda t, y, p: y[i] - 1e-3, terminal=True, direction=-1)
                                     for i in range(3)])
    # Python's late binding: every lambda reads i == 2 when called, so each event watches y[2]
    state = np.array([0.5, 0.6, 0.7])
    assert [e.function(0.0, state, None) for e in events] == [0.7 - 1e-3] * 3
    res = kernels.solve_ivp(DECAY3, (0.0, 20.0), [1.0, 1.0, 1.0], RATES, precision=np.float64, events=events,
                            progress=False)
    assert res.status.tolist() == [kernels.Status.EVENT]
    assert res.event_t[0] == pytest.approx(math.log(1e3) / 1.0, rel=1e-4)  # y[2]'s crossing, not y[0]'s (1.73)
    late = [w for w in caught if "late binding" in str(w.message)]
    assert len(late) == 1 and late[0].filename == __file__  # once for the lambda, at the user's line
    message = str(late[0].message)
    assert "'i'" in message and "def make(i): return lambda" in message


def test_the_late_binding_warning_has_its_own_class():
    """It came as a plain UserWarning, the only one of the library's without a class of its own (a user's trial): a
    filter could not name it."""
    _, caught = _quiet(lambda: [Event(lambda t, y, p: y[k] - 0.5, direction=-1) for k in range(2)])
    late = [w for w in caught if "late binding" in str(w.message)]
    assert [w.category for w in late] == [kernels.LateBindingWarning]
    assert issubclass(kernels.LateBindingWarning, UserWarning)  # a filter on UserWarning still takes it


def test_event_lambdas_made_by_a_factory_each_watch_their_own_state():
    def crossing(i):
        return lambda t, y, p: y[i] - 1e-3

    events, caught = _quiet(lambda: [Event(crossing(i), direction=-1) for i in range(3)])
    assert not [w for w in caught if "late binding" in str(w.message)]
    res = kernels.solve_ivp(DECAY3, (0.0, 20.0), [1.0, 1.0, 1.0], RATES, precision=np.float64, events=events,
                            progress=False)
    assert res.event_count.tolist() == [[1, 1, 1]]


class _Species:
    __level = 1e-3

    def events(self):
        return [Event(lambda t, y, p: y[i] - self.__level) for i in range(2)]


def test_event_lambdas_of_a_comprehension_in_a_method_are_read_as_their_own():
    """A lambda in a method (``_Species.events.<locals>.<listcomp>.<lambda>``, a private name mangled) is found in
    its source: the comprehension's loop variable is named."""
    events, caught = _quiet(_Species().events)
    assert len(events) == 2
    assert [str(w.message) for w in caught if "late binding" in str(w.message)][0].startswith(
        "Event function _Species.events.<locals>.<listcomp>.<lambda> reads the closure variable 'i'")


@cuda.jit(device=True)
def _clamp(y):
    y[0] = max(y[0], 0.0)
    return y[0]


def test_each_lambda_of_a_line_is_checked_as_its_own():
    """The source checks read the lambda that compiles to the function, not the line's first (the second event's
    write into y was not looked for)."""
    with pytest.raises(ConfigurationError, match=r"^event function assigns into its input y .*passes y to _clamp"):
        (Event(lambda t, y, p: y[0] - 1.0), Event(lambda t, y, p: _clamp(y)))


def test_odesystem_lambda_made_in_a_comprehension_solves():
    systems = [kernels.ODESystem(lambda t, y, p, dydt: _decay_at(y, dydt, p[0]), 1, 1, name=f"decay{k}")
               for k in range(2)]
    for system in systems:
        res = kernels.solve_ivp(system, (0.0, 1.0), [1.0], [[2.0]], precision=np.float64, progress=False)
        assert res.y[0, 0, -1] == pytest.approx(math.exp(-2.0), rel=1e-5)


def test_odesystem_lambda_reading_its_comprehension_loop_variable():
    systems = [kernels.ODESystem(lambda t, y, p, dydt: _decay_at(y, dydt, rate), 1, name=f"rate{rate}")
               for rate in (1.0, 2.0)]
    # the last reads rate == 2.0 as Python calls it, and was built with it
    res = kernels.solve_ivp(systems[1], (0.0, 1.0), [1.0], precision=np.float64, progress=False)
    assert res.y[0, 0, -1] == pytest.approx(math.exp(-2.0), rel=1e-5)
    # the first was built with 1.0 and Python now calls it with 2.0: refused, saying why and how to bind it
    with pytest.raises(ConfigurationError, match=r"(?s)'rate', 1\.0 when it was built and 2\.0 now: rate is the "
                                                 r"loop variable of the comprehension.*late binding.*"
                                                 r"def make\(rate\): return lambda"):
        kernels.solve_ivp(systems[0], (0.0, 1.0), [1.0], precision=np.float64, progress=False)


THRESHOLD = 1e-3


def test_event_lambdas_bound_per_call_each_watch_their_own_state_without_a_warning():
    """A lambda whose ``i`` is the parameter of an enclosing lambda called per iteration has its own ``i`` (a default
    argument, ``i=i``, is refused with its own remedy): the late-binding warning ("every event made by it watches the
    same i") fired on it, whose counts came out right (a user's trial), and a false warning teaches users to ignore
    the true one."""
    makers = [lambda: [Event((lambda i: (lambda t, y, p: y[i] - THRESHOLD))(i), direction=-1) for i in range(3)],
              lambda: [Event((lambda i: lambda t, y, p: y[i] - THRESHOLD)(k), direction=-1) for k in range(3)]]
    for make in makers:
        events, caught = _quiet(make)
        assert not [w for w in caught if "late binding" in str(w.message)], [str(w.message) for w in caught]
        res = kernels.solve_ivp(DECAY3, (0.0, 20.0), [1.0, 1.0, 1.0], RATES, precision=np.float64, events=events,
                                progress=False)
        assert res.event_count.tolist() == [[1, 1, 1]]


def test_an_event_lambda_reading_the_loop_variable_beside_a_lambda_with_its_own_still_warns():
    """The true warning stays: the lambda reads the comprehension's ``i`` late, though another lambda in the same
    expression takes an ``i`` of its own."""
    events, caught = _quiet(lambda: [(lambda i: i)(0) and None or Event(lambda t, y, p: y[i] - THRESHOLD)
                                     for i in range(3)])
    late = [str(w.message) for w in caught if "late binding" in str(w.message)]
    assert len(late) == 1 and "watches the same i" in late[0], late
    events, caught = _quiet(lambda: [Event(lambda t, y, p: y[i] - THRESHOLD, direction=-1) for i in range(3)])
    assert len([w for w in caught if "late binding" in str(w.message)]) == 1


def test_a_comprehensions_file_is_parsed_once_for_all_the_lambdas_it_makes(monkeypatch):
    """``loop_variables_read`` is remembered per lambda code (kernels/frozen_values.py): the three events of one
    comprehension, and a later question about one of them, parse the file once."""
    from kernels import frozen_values

    parsed = []
    real = frozen_values._comprehension_targets
    monkeypatch.setattr(frozen_values, "_comprehension_targets", lambda code: parsed.append(code) or real(code))
    events, _ = _quiet(lambda: [Event(lambda t, y, p: y[i] - THRESHOLD, direction=-1) for i in range(3)])
    assert len({e.function for e in events}) == 3 and len(parsed) == 1
    assert frozen_values.loop_variables_read(events[0].function) == ("i",) and len(parsed) == 1


def test_the_late_binding_warning_is_once_a_lambda_expression_however_often_it_makes_events():
    """The warning's record is keyed on the lambda's code (kernels/event_checks.py): a second list of events made by
    the same expression, or another expression's, is no new lambda to name, or is."""
    def make():
        return [Event(lambda t, y, p: y[i] - THRESHOLD, direction=-1) for i in range(2)]

    def other():
        return [Event(lambda t, y, p: y[i] - 2 * THRESHOLD, direction=-1) for i in range(2)]

    counts = [len([w for w in _quiet(f)[1] if "late binding" in str(w.message)]) for f in (make, make, other)]
    assert counts == [1, 0, 1]
