"""A library warning is shown once per place under Python's "default" filter, not at every solve (a user's trial:
the float32 ToleranceWarning of a Hodgkin-Huxley model printed at each of three solves of one Integrator).

Every change of the warnings filters (``catch_warnings``, ``simplefilter``) makes Python forget the warnings it has
shown, so a solve that changes them shows the last solve's warnings again: the launch (kernels/launch.py,
kernels/batch.py) and the checks a solve may make (kernels/derivative_check.py, kernels/rhs_hint.py) change none.
"""

import warnings

import numpy as np
import pytest

import kernels
from kernel_helpers import gpu
from stiff_references import hodgkin_huxley_rhs

_Y0 = np.array([-65.0, 0.05, 0.6, 0.32])
_PARAMS = np.array([[10.0], [5.0]])  # the injected current
_ARGS = dict(t_span=(0.0, 0.5), y0=_Y0, params=_PARAMS, rtol=1e-6, atol=1e-6, progress=False)



@pytest.fixture(scope="module")
def hh():
    return kernels.ODESystem(hodgkin_huxley_rhs, 4, 1, name="hh")


def _filter_changes(monkeypatch):
    """A list that counts the changes of the warnings filters from here on."""
    changes = []
    original = warnings._filters_mutated

    def counted():
        changes.append(1)
        original()

    monkeypatch.setattr(warnings, "_filters_mutated", counted)
    return changes


def _tolerance_warnings(record):
    return [w for w in record if issubclass(w.category, kernels.ToleranceWarning)]


def _assert_shown_once_over_three_solves(integrator):
    """Three solves of ``integrator`` under the default filter show its ToleranceWarning once."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")
        for _ in range(3):
            assert integrator.solve(**_ARGS).success
    assert len(_tolerance_warnings(record)) == 1, [str(w.message)[:80] for w in record]


def test_three_solves_of_one_integrator_show_the_tolerance_warning_once(hh):
    integrator = kernels.Integrator(hh, "tsit5", precision=np.float32)
    with warnings.catch_warnings():  # the first solve plans (an import) and compiles: Numba changes the filters
        warnings.simplefilter("ignore")
        integrator.solve(**_ARGS)
    _assert_shown_once_over_three_solves(integrator)


def test_three_calls_of_solve_ivp_show_the_tolerance_warning_once(hh):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kernels.solve_ivp(hh, precision=np.float32, **_ARGS)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")
        for _ in range(3):
            kernels.solve_ivp(hh, precision=np.float32, **_ARGS)
    assert len(_tolerance_warnings(record)) == 1, [str(w.message)[:80] for w in record]


def test_a_repeated_solve_changes_no_warnings_filter(hh, monkeypatch):
    """Nor with an implicit method, whose jac is checked at each solve's new rows (kernels/derivative_check.py)."""
    system = kernels.ODESystem(_decay, 1, 1, name="decay", jac=_decay_jac)
    integrator = kernels.Integrator(system, "rodas5p", precision=np.float64)
    args = dict(t_span=(0.0, 1.0), y0=[1.0], progress=False)
    integrator.solve(params=[[1.0]], **args)
    changes = _filter_changes(monkeypatch)
    for rate in (2.0, 3.0):  # new rows: checked again
        assert integrator.solve(params=[[rate]], **args).success
    assert not changes


def test_an_overflow_on_the_simulator_warns_nothing():
    """The simulator's NumPy overflow warnings are silenced in its own threads (NumPy's error state is a thread's),
    where a warnings filter around the launch did it before."""
    if kernels.backend() != "simulator":
        pytest.skip("the simulator's threads")
    system = kernels.ODESystem(_blowup, 1, 0, name="blowup")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = kernels.solve_ivp(system, (0.0, 1.0), [1.0], method="euler", dt=0.25, precision=np.float32,
                                   progress=False)
    assert int(result.status[0]) == kernels.NONFINITE_STATE
    assert not [w for w in record if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in record]


def test_the_quiet_launch_configuration_restores_numbas_flag_and_changes_no_filter(monkeypatch):
    """A small grid on a GPU: Numba's low-occupancy warning is left out while the launch is configured, with
    Numba's flag restored after it and no warnings filter changed (kernels/batch.py)."""
    from numba.core import config

    from kernels.batch import _configured_quietly

    seen = []

    class Kernel:
        def __getitem__(self, configuration):
            seen.append(config.CUDA_LOW_OCCUPANCY_WARNINGS)
            return configuration

    monkeypatch.setattr(config, "CUDA_LOW_OCCUPANCY_WARNINGS", 1)
    changes = _filter_changes(monkeypatch)
    assert _configured_quietly(Kernel(), 2, 64, 0, 0) == (2, 64, 0, 0)
    assert seen == [0] and config.CUDA_LOW_OCCUPANCY_WARNINGS == 1 and not changes


@gpu
@pytest.mark.gpu
def test_a_small_grid_on_a_gpu_draws_no_low_occupancy_warning(hh):
    """The first launch (through Numba's dispatcher) of two trajectories: one block, far below Numba's 128."""
    from numba.core import config

    flag = config.CUDA_LOW_OCCUPANCY_WARNINGS
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = kernels.Integrator(hh, "tsit5", precision=np.float64).solve(**dict(_ARGS, atol=1e-8))
    assert result.success and config.CUDA_LOW_OCCUPANCY_WARNINGS == flag
    assert not [w for w in record if "under-utilization" in str(w.message)]


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


def _decay_jac(t, y, p, jac):
    jac[0] = -p[0]


def _blowup(t, y, p, dydt):
    dydt[0] = y[0] * y[0] * 1e30


def test_the_recheck_of_a_stop_below_scipys_rtol_floor_changes_no_filter(monkeypatch):
    """A failed run's hint re-checks the host follow's stop with SciPy's Radau at the run's rtol (kernels/rhs_hint.py):
    below SciPy's floor it is raised to the floor there, where SciPy warned (and a filter silenced it)."""
    from kernels.rhs_hint import passes_stop

    system = kernels.ODESystem(_decay, 1, 1, name="decay")
    passes_stop(system, np.array([1.0]), 0.0, np.array([1.0]), 0.5, 1.0)  # SciPy's imports change the filters
    changes = _filter_changes(monkeypatch)
    with warnings.catch_warnings(record=True) as record:
        passes = passes_stop(system, np.array([1.0]), 0.0, np.array([1.0]), 0.5, 1.0, np.array([1e-20]),
                             np.array([1e-12]))
        changed = len(changes) - 1  # catch_warnings itself
    assert passes and changed == 0 and not record, [str(w.message) for w in record]


def test_a_repeated_implicit_solve_ivp_changes_no_warnings_filter(monkeypatch):
    """solve_ivp with an implicit method probes a new system's Jacobian pattern for the sparse LU (a regression hunt:
    its probes silenced NumPy with a warnings filter, so a warning came back at every solve_ivp).  On the simulator
    only: on a GPU a new system is a new kernel, whose compile (Numba's own) changes the filters."""
    if kernels.backend() != "simulator":
        pytest.skip("a new system compiles a new kernel on a GPU")
    args = dict(t_span=(0.0, 0.01), y0=[1.0, 0.0, 0.0], method="radau", progress=False)
    kernels.solve_ivp(kernels.robertson(), **args)
    changes = _filter_changes(monkeypatch)
    for _ in range(2):
        assert kernels.solve_ivp(kernels.robertson(), **args).success
    assert not changes


def test_a_warning_of_the_first_solve_is_not_shown_again_by_the_second_and_third(hh):
    """The first solve of a float32 Integrator whose rhs reads ``math`` compiles it for the CPU
    (kernels/float32_range.py) after its ToleranceWarning; Numba's compile changes the filters, and the second solve
    showed the warning again (a modeller's trial).  Recorded from the first solve on: once."""
    integrator = kernels.Integrator(hh, "tsit5", precision=np.float32)
    _assert_shown_once_over_three_solves(integrator)


def test_a_filter_change_inside_a_solve_keeps_the_warnings_it_showed(monkeypatch):
    """A first import inside a solve (the planner's OR-Tools, SciPy's integrators) changes the filters after the
    solve's ToleranceWarning, as a Lotka-Volterra fit's first solve_ivp did: the warning is not shown again."""
    import kernels.integrator as integrator_module

    checked = integrator_module.warn_few_summary_steps

    def importing(*args, **kwargs):
        with warnings.catch_warnings():  # what an import that scopes a filter does
            warnings.simplefilter("ignore", DeprecationWarning)
        return checked(*args, **kwargs)

    monkeypatch.setattr(integrator_module, "warn_few_summary_steps", importing)
    system = kernels.ODESystem(_lotka_volterra, 2, 4, name="lv")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")
        for rate in (1.5, 1.51, 1.52):
            kernels.solve_ivp(system, (0.0, 10.0), [10.0, 5.0], [1.0, 0.1, 0.075, rate], t_eval=np.linspace(1, 10, 10),
                              rtol=1e-6, atol=1e-8, progress=False)
    assert len(_tolerance_warnings(record)) == 1, [str(w.message)[:80] for w in record]


def test_reading_messages_between_solves_keeps_the_warnings_shown(hh):
    """``message(i)`` runs its host probes under a warnings filter (kernels/status_messages.py): a fit that read it
    after each solve saw each solve's ToleranceWarning again."""
    integrator = kernels.Integrator(hh, "tsit5", precision=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        integrator.solve(**_ARGS)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")
        for _ in range(3):
            result = integrator.solve(**_ARGS)
            assert result.message(0) and result.message(1)
    assert len(_tolerance_warnings(record)) == 1, [str(w.message)[:80] for w in record]


def test_a_filter_added_inside_for_a_warnings_category_lets_it_show_again():
    """Kept records carry only the entries the filters still act on as before: an "always" filter added inside for
    the warning's category shows it again, as Python would."""
    from kernels.warning_registries import registries_kept

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")
        _warn_tolerance()
        with registries_kept():
            warnings.simplefilter("ignore", DeprecationWarning)  # another category's: the record stays
        _warn_tolerance()
        assert len(record) == 1
        with registries_kept():
            warnings.simplefilter("always", kernels.ToleranceWarning)
        _warn_tolerance()
    assert len(record) == 2, [str(w.message) for w in record]


def _warn_tolerance():
    warnings.warn("one place", kernels.ToleranceWarning)


def _lotka_volterra(t, y, p, dydt):
    dydt[0] = p[0] * y[0] - p[1] * y[0] * y[1]
    dydt[1] = p[2] * y[0] * y[1] - p[3] * y[1]


def test_nested_kept_blocks_carry_a_record_across_changes_before_and_after_the_inner_one():
    """A solve (kept) runs the range check's compile (kept) and then a first import: the record the inner block carried
    is carried again by the outer one (it was lost once: the warning showed at the second solve run alone)."""
    from kernels.warning_registries import registries_kept

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")
        for _ in range(3):
            with registries_kept():
                _warn_tolerance()
                with registries_kept(), warnings.catch_warnings():  # the compile's change
                    pass
                with warnings.catch_warnings():  # the import's change, after it
                    pass
    assert len(record) == 1, [str(w.message) for w in record]


def test_threads_reading_the_filters_version_at_once_leave_the_filters_as_they_were():
    """filters_version swaps the process's filters for an ignore-all list for a moment: two threads doing it at once
    could each restore the other's ignore-all list, and every warning of the process was silenced for good (a
    regression hunt: 2 of 3 runs of four threads)."""
    import threading

    from kernels.warning_registries import filters_version

    import sys

    before, interval = list(warnings.filters), sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: the race shows within a few thousand swaps
    try:
        threads = [threading.Thread(target=lambda: [filters_version() for _ in range(20000)]) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
        after, warnings.filters = list(warnings.filters), before
    assert after == before


def _gated_decay(t, y, p, dydt):
    """d y0 / d y1 is 0 at the sparse LU's probe magnitudes (0.1 to 10) and 1 at y1 = 1e3: the probed pattern
    misses it there, and solve_ivp solves again with the pattern widened."""
    dydt[0] = -y[0] + max(y[1] - 100.0, 0.0)
    dydt[1] = -y[1]
    dydt[2] = -y[2]
    dydt[3] = -y[3]


def test_a_solve_repeated_for_a_widened_pattern_shows_its_warnings_once():
    """A user's trial (a 40-species mechanism in float32 under rodas5p, rtol 1e-6): under the "always" filter the
    float32 ToleranceWarning showed twice per solve_ivp call, once from the attempt that met the probed pattern's
    miss and once from the attempt with the widened pattern; so did every warning given before the pattern's check
    (here dt's, only the first step of an adaptive run)."""
    system = kernels.ODESystem(_gated_decay, 4, 0, name="gated")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = kernels.solve_ivp(system, (0.0, 0.01), np.array([1.0, 1e3, 1.0, 1.0]), method="rodas5p", dt=1e-3,
                                   rtol=1e-6, atol=1e-6, precision=np.float32, progress=False, max_steps=5)
    shown = [(w.category.__name__, str(w.message)) for w in record
             if issubclass(w.category, (kernels.ToleranceWarning, kernels.UnusedOptionWarning))]
    assert sorted(category for category, _ in shown) == ["ToleranceWarning", "UnusedOptionWarning"], \
        [(category, text[:80]) for category, text in shown]
    assert result.y.shape == (1, 1, 4)
