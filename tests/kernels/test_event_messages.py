"""What a trajectory's message says of its terminal events (:mod:`kernels.event_notes`): which one stopped it, and
which one never fired because its ``g`` started on 0 (a start on a zero is not a crossing)."""

import math
import pickle

import numpy as np
import pytest

import kernels
from test_events import BALL  # the falling ball of the events' own tests
from kernels import Event, Status
from kernels.event_checks import START_ZERO_ULPS, zero_at_start
from kernels.distributed_results import concatenate
from kernels.event_notes import EventStart, event_label, event_note, fired_note, unfired_note

#: Saves dense enough that a failed trajectory's first steps show which way g went (without a finite save after t0
#: the note takes a few host Euler steps instead, where the EventStart holds the system's rhs).
T_EVAL = np.linspace(0.0, 1.0, 101)
#: A solve's options for T_EVAL's saves and a stop at max_steps after 10 steps (a dropped ball's first 0.07 s).
_DENSE = {"t_eval": T_EVAL, "max_steps": 10, "rtol": 1e-8, "atol": 1e-8, "progress": False}


def _ground(t, y, p):
    return y[0]


def _top(t, y, p):
    return y[0] - 2.0


def _height(t, y, p):
    return y[0]


def _level(t, y, p):
    return y[0] - 0.3


class _WithStart:
    """A real result with the EventStart its solve would keep (what the hook adds), for the notes' own tests."""

    def __init__(self, result, start):
        self._result, self.event_start = result, start

    def __getattr__(self, name):
        return getattr(self._result, name)


def _solve(y0, events, **options):
    """The ball from ``y0`` (one row or N) with ``events``, and the EventStart of that solve."""
    y0 = np.atleast_2d(np.asarray(y0, np.float64))
    options = {"method": "tsit5", "precision": np.float64, "rtol": 1e-8, "atol": 1e-8, "progress": False, **options}
    res = kernels.solve_ivp(BALL, options.pop("span", (0.0, 1.0)), y0, **options, events=events)
    events = kernels.events.as_events(events)
    return res, EventStart.of(events, 0.0, y0, np.full((y0.shape[0], 1), 9.81))


@pytest.fixture(scope="module")
def two_impacts():
    """Two balls: one falls to the ground (events[0]), one rises through y = 2 (events[1]); a counting event."""
    events = [Event(_ground, terminal=True, direction=-1), Event(_top, terminal=True, direction=1), Event(_height)]
    return _solve([[1.0, 0.0], [1.0, 10.0]], events)


@pytest.fixture(scope="module")
def dropped_from_zero():
    """A ball dropped from height 0 with a terminal ground event: g(t0) = 0 is no crossing; max_steps stops it."""
    return _solve([0.0, 0.0], Event(_ground, terminal=True, direction=-1), max_steps=10, t_eval=T_EVAL)


def test_the_message_of_a_stop_names_the_terminal_event_and_its_time(two_impacts):
    res, start = two_impacts
    assert list(res.status) == [Status.EVENT, Status.EVENT]
    fall, rise = (event_note(_WithStart(res, start), i) for i in (0, 1))
    assert fall == f" It was events[0] (_ground), at t = {float(res.event_t[0]):.10g}."
    assert rise == f" It was events[1] (_top), at t = {float(res.event_t[1]):.10g}."
    assert abs(float(res.event_t[0]) - np.sqrt(2 / 9.81)) < 1e-6
    assert abs(float(res.event_t[1]) - (10 - np.sqrt(100 - 2 * 9.81)) / 9.81) < 1e-6


def test_a_stop_s_note_is_left_out_where_no_terminal_event_counted():
    start = EventStart(("events[0] (_ground)", "events[1]"), (True, False), (-1, 0))
    assert fired_note(start, np.array([0, 3]), 0.5) == ""  # (a counting event's crossings are not a stop)
    assert fired_note(start, np.array([1, 3]), 0.5) == " It was events[0] (_ground), at t = 0.5."


def test_a_failed_run_whose_terminal_event_started_on_zero_says_why_it_did_not_fire(dropped_from_zero):
    res, start = dropped_from_zero
    assert int(res.status[0]) == Status.MAX_STEPS and int(res.event_count[0, 0]) == 0
    note = event_note(_WithStart(res, start), 0)
    assert note.startswith(" events[0] (_ground) is terminal and did not fire: its g was 0 at t0 = 0 and then went "
                           "negative")
    assert "a start on a zero of g is not a crossing" in note and "SciPy stops at t0 where g leaves 0 that way" in note
    assert "make g(t0) a hair positive: add 1e-09 to g (r - (R - 1e-09) for r - R)" in note


def test_a_start_within_rounding_of_zero_is_on_the_zero():
    below = float(np.nextafter(0.3, 0.0))  # g = -5.6e-17: the fall never changes g's sign
    res, start = _solve([below, 0.0], Event(_level, terminal=True, direction=-1), span=(0.0, 0.5))
    assert int(res.status[0]) == Status.SUCCESS and int(res.event_count[0, 0]) == 0
    note = event_note(_WithStart(res, start), 0)
    assert "its g was -5.55e-17, 0 within rounding, at t0 = 0" in note


def test_no_start_note_where_g_did_not_start_on_zero_or_the_event_is_not_terminal(dropped_from_zero):
    res, _ = dropped_from_zero
    counts = np.array([0])
    for y0, terminal in (([1.0, 0.0], True), ([0.0, 0.0], False)):
        start = EventStart.of((Event(_ground, terminal=terminal, direction=-1),), 0.0, np.array([y0]),
                              np.array([[9.81]]))
        assert unfired_note(start, counts, 0, np.float64) == ""
    assert event_note(_WithStart(res, None), 0) == ""  # (a result without an EventStart: nothing to say)


def test_the_start_note_s_direction_says_which_side_g_t0_belongs():
    start = EventStart.of((Event(_ground, terminal=True, direction=1),), 0.0, np.zeros((1, 2)), np.zeros((1, 1)))
    up = (0.1, np.array([0.5, 1.0]))  # (the first save after t0: g went positive)
    assert "make g(t0) a hair negative: subtract 1e-09 from g" in unfired_note(start, np.array([0]), 0, np.float64, up)
    assert "start a hair below its zero" in unfired_note(start, np.array([0]), 0, np.float64, up)
    assert "add 1e-05 to g" not in unfired_note(start, np.array([0]), 0, np.float32, up)  # (direction +1 subtracts)
    assert "subtract 1e-05 from g" in unfired_note(start, np.array([0]), 0, np.float32, up)


def test_zero_at_start_allows_the_working_precision_s_rounding_only():
    eps32 = float(np.finfo(np.float32).eps)
    y, p = np.array([2.0, 0.0]), np.zeros(1)
    assert zero_at_start(lambda t, y, p: y[0] - 2.0, 0.0, y, p, np.float64) == 0.0
    assert zero_at_start(lambda t, y, p: y[0] - 2.0 + 1e-7, 0.0, y, p, np.float64) is None
    near = 0.5 * START_ZERO_ULPS * eps32 * 2.0  # within float32's rounding at |y| = 2, far outside float64's
    assert zero_at_start(lambda t, y, p: y[0] - 2.0 + near, 0.0, y, p, np.float32) == pytest.approx(near)
    assert zero_at_start(lambda t, y, p: y[0] - 2.0 + near, 0.0, y, p, np.float64) is None


def test_zero_at_start_is_silent_where_the_host_cannot_evaluate_g():
    y, p = np.zeros(2), np.zeros(1)
    assert zero_at_start(lambda t, y, p: y[5], 0.0, y, p, np.float64) is None
    assert zero_at_start(lambda t, y, p: float("nan"), 0.0, y, p, np.float64) is None


def test_an_event_is_labelled_by_its_place_and_its_function_s_name():
    assert event_label(2, _ground) == "events[2] (_ground)"
    assert event_label(0, lambda t, y, p: y[0]) == "events[0]"


def test_an_event_start_pickles_with_its_labels_only(dropped_from_zero):
    _, start = dropped_from_zero
    back = pickle.loads(pickle.dumps(start))
    assert back == start and back.labels == ("events[0] (_ground)",) and back.functions is None
    assert unfired_note(back, np.array([0]), 0, np.float64) == ""  # (no function to call: no note, no error)
    assert fired_note(back, np.array([1]), 0.25) == " It was events[0] (_ground), at t = 0.25."


def test_solve_ivp_names_the_terminal_event_that_stopped_each_trajectory():
    events = [Event(_ground, terminal=True, direction=-1), Event(_top, terminal=True, direction=1)]
    res = kernels.solve_ivp(BALL, (0.0, 1.0), [[1.0, 0.0], [1.0, 10.0]], method="tsit5", precision=np.float64,
                            events=events, progress=False)
    assert res.message(0).endswith(f" It was events[0] (_ground), at t = {float(res.event_t[0]):.10g}.")
    assert res.message(1).endswith(f" It was events[1] (_top), at t = {float(res.event_t[1]):.10g}.")
    assert pickle.loads(pickle.dumps(res)).message(1) == res.message(1)


def test_solve_ivp_says_a_terminal_event_zero_at_t0_did_not_fire():
    res = kernels.solve_ivp(BALL, (0.0, 1.0), [0.0, 0.0], method="tsit5", precision=np.float64, **_DENSE,
                            events=Event(_ground, terminal=True, direction=-1))
    assert int(res.status[0]) == Status.MAX_STEPS
    assert "events[0] (_ground) is terminal and did not fire: its g was 0 at t0 = 0" in res.message(0)


# ---- a hunt's regressions (session 309): copies of the inputs, the side g went to, rows of other chunks ----

def _note(res, trajectory=0):
    """Whether ``res.message(trajectory)`` has the note of a terminal event that started on 0."""
    return "is terminal and did not fire" in res.message(trajectory)


def test_a_result_s_note_does_not_follow_the_user_s_y0_buffer_refilled_after_the_solve():
    # a reference to y0 read the buffer at message time: a start at height 5 was told its g was 0 at t0 once the
    # user zeroed the buffer, and a buffer reused in a loop changed the notes of earlier results
    integrator = kernels.Integrator(BALL, method="tsit5", precision=np.float64,
                                    events=[Event(_ground, terminal=True, direction=-1)])
    y0 = np.array([[0.0, 0.0]])  # dropped from the ground: the note
    dropped = integrator.solve((0.0, 1.0), y0, **_DENSE)
    y0[:] = [[-1.0, 0.0]]  # the next batch, in the same buffer: below the ground, falling (g < 0 all along)
    below = integrator.solve((0.0, 1.0), y0, **_DENSE)
    assert _note(dropped) and not _note(below)
    y0[:] = 0.0
    assert not _note(below)  # (its start was -1, whatever the buffer now holds)
    y0[:] = [[-1.0, 0.0]]
    assert _note(dropped)


def test_the_inputs_are_copied_only_for_terminal_events_and_only_on_the_host():
    y0, params = np.zeros((2, 2)), np.full((1, 1), 9.81)
    start = EventStart.of((Event(_ground, terminal=True, direction=-1),), 0.0, y0, params)
    assert start.y0 is not y0 and start.params is not params and np.array_equal(start.y0, y0) and start.n == 2
    counting = EventStart.of((Event(_ground),), 0.0, y0, params)
    assert counting.y0 is None and counting.params is None  # (no terminal event: no note, nothing kept)
    from numba import cuda
    on_device = EventStart.of((Event(_ground, terminal=True, direction=-1),), 0.0, cuda.to_device(y0), params)
    assert on_device.y0 is None and unfired_note(on_device, np.array([0]), 0, np.float64, (0.1, -y0[0])) == ""


def test_no_start_note_where_g_rose_from_zero_away_from_a_downward_event():
    # a ball thrown up from the ground, with the span ending before it lands: nothing was missed (SciPy does not
    # stop at t0 either); with direction +1 g did leave 0 the event's way (SciPy stops at t0 there): the note
    for precision in (np.float64, np.float32):
        up = kernels.solve_ivp(BALL, (0.0, 0.5), [[0.0, 10.0], [1e-7, 10.0]], method="tsit5", precision=precision,
                               events=Event(_ground, terminal=True, direction=-1), progress=False)
        assert list(up.status) == [Status.SUCCESS] * 2 and not _note(up, 0) and not _note(up, 1)
    rising = kernels.solve_ivp(BALL, (0.0, 0.5), [0.0, 10.0], method="tsit5", precision=np.float64,
                               events=Event(_ground, terminal=True, direction=1), progress=False)
    assert "its g was 0 at t0 = 0 and then went positive" in rising.message(0)


def _bead(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -math.sqrt(y[0] + p[0])  # NaN where y[0] + p[0] < 0: this trajectory's params fault, not its event


BEAD = kernels.ODESystem(_bead, 2, 1, name="bead", default_params=(1.0,))


def test_no_start_note_on_a_failure_of_its_own_cause_that_left_zero_the_other_way():
    res = kernels.solve_ivp(BEAD, (0.0, 2.0), [[0.0, 1.0], [0.0, 1.0]], np.array([[1.0], [-0.5]]), method="tsit5",
                            precision=np.float64, t_eval=np.linspace(0.0, 2.0, 21),
                            events=Event(_ground, terminal=True, direction=-1), progress=False)
    assert int(res.status[1]) not in (Status.SUCCESS, Status.EVENT) and not _note(res, 1)


def test_the_side_is_read_at_the_first_save_after_t0_not_the_last():
    # pushed up (p < 0), started downward from 0: g goes negative, then back up through 0 (an upward crossing a
    # direction -1 event does not count); the first save after t0 shows the start that was missed
    res, start = _solve([0.0, -1.0], Event(_ground, terminal=True, direction=-1), params=np.array([-9.81]),
                        t_eval=np.linspace(0.0, 1.0, 11))
    assert int(res.status[0]) == Status.SUCCESS and res.y[0, 1, 0] < 0 < res.y[0, -1, 0]
    assert "then went negative" in event_note(_WithStart(res, start), 0)


def test_no_start_note_without_a_finite_save_after_t0_or_an_rhs_to_step():
    res, start = _solve([0.0, 0.0], Event(_ground, terminal=True, direction=-1), max_steps=3)  # (final save only)
    assert int(res.status[0]) == Status.MAX_STEPS and np.isnan(res.y[0, -1, 0])
    assert event_note(_WithStart(res, start), 0) == ""


def test_a_client_solve_s_later_chunks_are_not_told_of_chunk_0_s_first_row():
    # concatenate keeps chunk 0's EventStart: rows past chunk 0's were read as its row 0 (a start on 0 here)
    integrator = kernels.Integrator(BALL, method="tsit5", precision=np.float64,
                                    events=[Event(_ground, terminal=True, direction=-1)])
    y0 = np.array([[0.0, 0.0], [0.0, 0.0], [-1.0, 0.0], [-1.0, 0.0]])  # (rows 2, 3: below the ground, falling)
    whole = integrator.solve((0.0, 1.0), y0, **_DENSE)
    for size in (2, 1):
        parts = [integrator.solve((0.0, 1.0), y0[i:i + size], **_DENSE)
                 for i in range(0, 4, size)]
        res = concatenate(parts, parts[0].plan)
        assert [_note(res, i) for i in range(4)] == [True, size > 1, False, False]  # (1 past a 1-row chunk 0: none)
    assert [_note(whole, i) for i in range(4)] == [True, True, False, False]


def test_a_fall_from_rest_on_the_ground_with_no_save_is_still_told_its_start_on_zero():
    """The astrodynamicist's case itself: a fall from rest on the surface, saved at the end only, stops before its
    last save (no finite save shows which way g went); a few host Euler steps from the start show it fell."""
    res = kernels.solve_ivp(BALL, (0.0, 1.0), [[0.0, 0.0]], method="tsit5", precision=np.float64, rtol=1e-8,
                            atol=1e-8, max_steps=3, progress=False, events=Event(_ground, terminal=True, direction=-1))
    assert int(res.status[0]) == Status.MAX_STEPS and np.isnan(res.y[0, -1, 0])
    assert "events[0] (_ground) is terminal and did not fire: its g was 0 at t0 = 0 and then went negative" in (
        res.message(0))
