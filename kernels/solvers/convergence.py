"""Newton's convergence test on the contraction rate, shared by :mod:`kernels.solvers.newton` and the FIRK solve.

Convergence follows Hairer & Wanner, *Solving ODEs II*, IV.8: with the
increments' norm scaled by the tolerances, ``||dz||`` = RMS of
``dz_i / (atol_i + rtol_i |y_i|)``, the contraction rate
``theta_k = ||dz_k|| / ||dz_{k-1}||`` and ``eta_k = theta_k / (1 - theta_k)``,
the iteration stops when ``eta_k ||dz_k|| <= kappa`` (the error left is
below ``kappa`` tolerances), and gives up as soon as ``theta_k >= 1``
(divergence), when the predicted error after the remaining iterations,
``theta_k^(k_max - k) eta_k ||dz_k||``, is still above ``kappa``, when the
norm is not finite, or after ``max_iterations``: it returns
:data:`kernels.status.NEWTON_NOT_CONVERGED` and the loop rejects the step.
``kappa`` here is the settings' constant tightened at tight tolerances,
``min(kappa, max(sqrt(rtol), eps / rtol))`` (Hairer's RADAU5 and SciPy's
implicit methods with their 10 eps, but never looser than ``kappa``;
:func:`kernels.solvers.base.newton_kappa` says why), which the loop computes
once and hands over at the end of ``tolerances``.  With the plain
constant, a draw of the stage equation whose first iteration contracted
15000-fold stopped with 1.7 tolerances of error left at rtol 1e-8.  Measured
with ``benchmarks.stiff_accuracy`` (four DIRK methods on Robertson, Van der
Pol and HIRES at rtol 1e-5 and 1e-7): Newton iterations 0.42 to 1.29 times as
many (median 1.08), errors 0.28 times as large (geometric mean), the
largest 8.8 tolerances instead of 8.2, and kvaerno5 on Robertson to t = 1e5
at 1e-5 in 101 steps instead of 345 (its error 0.014 tolerances instead of
8.2) (``results/newton_constant_2026-12-03/``).  In float32 the floor
``eps / rtol`` is 0.012 at rtol 1e-5 and 0.12 at 1e-6, where the constant
stays ``kappa`` (with SciPy's 10 eps it stayed there at 1e-5 too).
After the first iteration no rate is known yet: ``eta_0`` is the caller's
``eta`` (the last solve's ``eta`` carried over, Hairer & Wanner IV.8) as
``max(eta, eps)^0.8``, and 1 (CVODE's choice) when nothing is carried.  So
the later stages of a DIRK step, whose iteration matrix the first stage
already showed contracting fast, stop after one iteration when its
increment is below ``kappa / eta_0`` (Brusselator, sdirk4, fixed steps:
2.0 iterations a stage on average down to 1.4).  A solve that stops after
its first iteration measured no rate, so it returns the ``eta`` it was
given, not ``eta_0``: the exponent is applied once a measurement, not once
a stage.  Compounded, it had the last stage of every sdirk4 step take a
second iteration: on the Brusselator in float32 (rtol 1e-5, fixed steps)
sdirk4 took 6.8 iterations a step and now 6.0, kvaerno5 8 and now 7, and
the H200 ran them 1.03 to 1.17 times faster at 8 to 64 states; float64 at
1e-8 takes two a stage either way; on the simulator's stiff accuracy suite
(Robertson, Van der Pol, HIRES, four DIRK methods, float64) the errors are
unchanged (``results/newton_rate_2026-12-04/``).  A solve that measured
rates hands on the slowest of them, not the last: the next stage starts
from ``z = 0`` as this one did, and where a second iteration ends a stage
exactly (``y' = cos(tau)``, ``tau' = 1``: the first iteration's error is
``(h gamma)^2 / 2``, the second's none) the third measures rounding, which
let every later stage stop after one iteration (kvaerno5 790 tolerances off
at rtol 1e-6, with success; now 0.004).  Where a stage takes at most two
iterations (the Brusselator benchmark in both precisions) nothing changes.

On fixed steps (no error estimate: the loop cannot retry a smaller step, a failure ends the
trajectory) the prediction is not made: the iteration gives up only on a rate of 1 or more, a
non-finite norm or the limit, and the step reruns a failed solve once (the DIRK step with its
iteration matrix taken afresh at the stage's last iterate, the FIRK step with a fresh factor from
``Z = 0``, or from its last iterate where it already started there).  A fixed step moves ``y`` by far
more than the tolerances (a user's trial: E + S <-> C -> P, kf = 1e4, float64 at the default rtol =
atol = 1e-6, backward_euler and radau at dt = 0.1 to 1e-3): the first increment was 6e4 to 2.6e5
tolerances, contracting at 0.07 to 0.18 a step, so 10 to 12 iterations to the constant 1e-3, and the
prediction gave up after the second or third: every run ended NEWTON_NOT_CONVERGED after 0 steps.
Adaptive runs keep the prediction (Hairer's early rejection, for a smaller step at once).
"""

# Hairer & Wanner's exponent for a contraction estimate carried into the next solve.
CARRY_POWER = 0.8

__all__ = ["CARRY_POWER", "carried_rate", "convergence_lines"]


def carried_rate(value):
    """Source of the first iteration's ``eta`` from a carried one (Hairer & Wanner IV.8: ``max(eta, eps)^0.8``).

    The namespace needs ``power`` (:func:`kernels.approx.power`), ``EPS`` and ``CARRY_POWER``.
    """
    return f"power(max({value}, EPS), CARRY_POWER)"


def convergence_lines(kappa, fail, converge, accept, depth, predict=True):
    """Newton's convergence test on ``norm``, the scaled norm of iteration ``k``'s increment (source lines).

    The contraction rate ``theta = norm / previous`` and ``eta = theta / (1 - theta)``
    (Hairer & Wanner IV.8): ``accept`` (a condition on ``eta * norm``, the
    estimated error left) runs ``converge``; a rate of 1 or more, a non-finite
    norm, or an error that ``MAX_ITER - 1 - k`` more contractions would not
    bring below ``kappa`` runs ``fail`` (``theta ** (MAX_ITER - 1 - k)`` as products over a
    constant range: no power function, no run-time loop).  ``predict=False`` drops that
    last test (fixed steps, module notes): the iteration then runs to its limit while it contracts.
    Statement lists run at ``depth`` levels of four spaces; the namespace needs ``rcp``
    (:func:`kernels.approx.norm_reciprocal`), ``ONE``, ``HUGE`` and ``MAX_ITER``.
    """
    pad = "    " * depth
    block = lambda statements, extra=1: [pad + "    " * extra + line for line in statements]  # noqa: E731
    return ([pad + "if not norm < HUGE:"] + block(fail)
            + [pad + "if k > 0:", pad + "    theta = norm * rcp(previous)", pad + "    if theta >= ONE:"]
            + block(fail, 2) + [pad + "    eta = theta * rcp(ONE - theta)", pad + f"if {accept}:"] + block(converge)
            + ([pad + "if k > 0:", pad + "    bound = eta * norm", pad + "    for j in range(1, MAX_ITER):",
                pad + "        if j < MAX_ITER - k:", pad + "            bound *= theta",
                pad + f"    if bound > {kappa}:"] + block(fail, 2) if predict else [])
            + [pad + "previous = norm"])
