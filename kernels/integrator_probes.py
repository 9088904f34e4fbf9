"""The Integrator's host probes of the user's system at a solve's own inputs, as a base class of :class:`Integrator`.

Before a solve (:func:`kernels.solve_checks.check_host_inputs`) the sparse pattern and the system's ``jac`` or ``jvp``
are checked against differences of the rhs at the solve's rows; after it, the stiffness probe gives the hints of
:meth:`IVPResult.message` (also for a distributed solve's chunks: :mod:`kernels.distributed_results`).  Each runs the
user's functions on the host, and none touches planning, building or launching: they live apart from
:mod:`kernels.integrator` so that module holds the plan-build-solve path alone.  The methods read the state
:class:`Integrator` sets up in its ``__init__`` (``_pattern``, ``_given_pattern``, ``_pattern_checked``,
``_pattern_missed``, ``_derivative_verdicts``, ``_inputs_disagree``, ``_warned_suspect``).
"""

from __future__ import annotations

import numpy as np

from .integrator_checks import (DERIVATIVE_RHS_BUDGET, PATTERN_RHS_BUDGET, check_pattern_at, pattern_times,
                                probed_inputs, remember_checked)
from .solve_checks import CHECKS_KEPT
from .stiffness_note import probes_with_note

__all__ = ["IntegratorProbes"]


class IntegratorProbes:
    """The probes of :class:`kernels.Integrator` at a solve's inputs (see the module's docstring); not used alone."""

    def _check_pattern(self, t0, y0, params, t_end=None):
        """The probed (or the given) sparse pattern against the Jacobian at this solve's first, middle and last rows
        and at the rows that hold each input column's extremes (:func:`probe_rows`; once per distinct rows: each
        check differences the rhs n times on the host), at ``t0`` and, for a rhs that reads ``t``, at times across
        the span to ``t_end`` too (:func:`pattern_times`)."""
        times = pattern_times(self.system, t0, t_end)
        rows, key = probed_inputs(times, y0, params, (self.system.n_states + 1) * len(times) - 1,
                                  PATTERN_RHS_BUDGET)
        if key in self._pattern_checked:
            return
        if self._pattern is not None:
            check_pattern_at(self.system, self._pattern, times, rows)
        else:  # the user's own pattern: warned about on its first miss, then left to the user
            self._pattern_missed = bool(check_pattern_at(self.system, self._given_pattern, times, rows, given=True))
            self._given_pattern = None
        remember_checked(self._pattern_checked, key, CHECKS_KEPT)

    def _suspect_derivative(self):
        """``"jac"`` or ``"jvp"``: the system's function the step uses, when it failed the construction check or the
        check at a solve's inputs (:meth:`_check_derivatives`)."""
        used = (self.jacobian or "").split(" ")[0]
        return used if used in self.system.derivatives_disagree or used == self._inputs_disagree else None

    def _check_derivatives(self, t0, y0, params, u0=()):
        """The step's ``jac`` or ``jvp`` against differences of ``rhs`` at this solve's rows (:func:`probe_rows`,
        once per distinct rows; a disagreement is warned about once and named in every message after it)."""
        from .derivative_check import check_derivatives_at

        used = (self.jacobian or "").split(" ")[0]
        self._inputs_disagree = None  # a verdict on this solve's inputs only (a regression hunt: it stuck)
        if used not in ("jac", "jvp") or used in self.system.derivatives_disagree:
            return  # not the system's, or already named
        rows, key = probed_inputs(t0, y0, params, 2 * self.system.n_states, DERIVATIVE_RHS_BUDGET)
        if key not in self._derivative_verdicts:  # warns once per inputs
            remember_checked(self._derivative_verdicts, key, CHECKS_KEPT,
                             check_derivatives_at(self.system, used, t0, rows, np.asarray(u0, np.float64)))
        if self._derivative_verdicts[key]:
            self._inputs_disagree, self._warned_suspect = used, True

    def _stiffness_probe(self, status, y0, params, t0, t_end, max_steps, dt, rejected=None, tolerances=None,
                         host=None, steps=None, given_y0=None):
        """The hints :meth:`IVPResult.message` may give (:func:`kernels.stiffness_note.probes_with_note`; ``rejected``:
        :func:`kernels.rhs_hint.mostly_rejected`'s mask; ``tolerances``: the run's ``(rtol, atol)``; ``host``:
        :func:`kernels.drivers.driven_on_host`'s system; ``steps``: the accepted steps, for a long success's note;
        ``given_y0``: y0 as the user gave it, before the precision rounded it; the solve's events go with them: a
        host follow ends at a terminal one)."""
        return probes_with_note(self.system if host is None else host, self.method, self.adaptive, self.dtype, status,
                                y0, params, t0, t_end, max_steps, dt, rejected, tolerances, steps,
                                self.settings.events, given_y0)
