"""SolverOptions: a bad field is refused when the options are made, in the field's own name."""

import pytest

import kernels
from kernels.errors import ConfigurationError
from kernels.solvers.options import INEXACT_NEWTON


@pytest.mark.parametrize("fields, message", [
    (dict(kappa=1.0), "SolverOptions kappa: expected a number in (0, 1), got 1.0"),
    (dict(newton_iterations=0), "SolverOptions newton_iterations: expected an integer >= 2, got 0"),
    # one iteration cannot measure a rate: kvaerno5 rejected 993 of 2000 attempts and stopped at max_steps
    (dict(newton_iterations=1), "SolverOptions newton_iterations: expected an integer >= 2, got 1: Newton's"),
    # was named as the Krylov settings' class (GMRESSettings preconditioned), and accepted with an LU
    (dict(linear="gmres", preconditioned=1), "SolverOptions preconditioned: expected True or False, got 1"),
    (dict(linear="lu", preconditioned="yes"), "SolverOptions preconditioned: expected True or False, got 'yes'"),
    (dict(linear="gmres", restart=0), "SolverOptions restart: expected an integer >= 1, got 0"),
    (dict(linear="bicgstab", krylov_tolerance=2.0), "SolverOptions krylov_tolerance: expected a relative residual"),
    (dict(linear="qr"), "SolverOptions linear: expected one of"),
    (dict(factor_storage="disk"), "SolverOptions factor_storage: expected one of"),
])
def test_bad_fields_are_named_as_the_user_wrote_them(fields, message):
    with pytest.raises(ConfigurationError) as info:
        kernels.SolverOptions(**fields)
    assert str(info.value).startswith(message), str(info.value)


@pytest.mark.parametrize("linear", ["gmres", "bicgstab"])
def test_newton_takes_inexact_krylov_steps(linear):
    newton = kernels.SolverOptions(linear=linear).newton(8, analytic=True)
    assert newton.linear.accept_reduced == INEXACT_NEWTON


@pytest.mark.parametrize("linear", ["gmres", "bicgstab"])
def test_rosenbrock_stages_keep_the_strict_krylov_test(linear):
    """A Rosenbrock stage is one linear solve with no Newton iteration after it to correct an inexact one."""
    integ = kernels.Integrator(kernels.robertson(), "rodas4", solver=linear)
    assert integ.settings.step.newton.direct
    assert integ.settings.step.newton.linear.accept_reduced == 0.0
    dirk = kernels.Integrator(kernels.robertson(), "kvaerno5", solver=linear)
    assert dirk.settings.step.newton.linear.accept_reduced == INEXACT_NEWTON
