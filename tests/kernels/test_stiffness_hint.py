"""The MAX_STEPS message of an explicit method says when the problem looks stiff, and only then."""

import pickle

import kernels
from kernels.stiffness import looks_stiff


def test_stiff_van_der_pol_at_max_steps_names_an_implicit_method():
    result = kernels.solve_ivp(kernels.stiff_van_der_pol(), (0.0, 1.0), [2.0, 0.0], method="tsit5", max_steps=50)
    assert int(result.status[0]) == kernels.MAX_STEPS
    message = result.message(0)
    assert message.startswith(kernels.STATUS_MESSAGES[kernels.MAX_STEPS])
    assert "looks stiff" in message and "rodas5p" in message and "radau" in message
    # the probe holds the system: a pickled result keeps the plain message
    assert pickle.loads(pickle.dumps(result)).message(0) == kernels.STATUS_MESSAGES[kernels.MAX_STEPS]


def test_non_stiff_max_steps_does_not_claim_stiffness():
    result = kernels.solve_ivp(kernels.lorenz(), (0.0, 10.0), [1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0],
                               method="tsit5", max_steps=10)
    assert int(result.status[0]) == kernels.MAX_STEPS
    assert result.message(0) == kernels.STATUS_MESSAGES[kernels.MAX_STEPS]


def test_criterion_on_the_stiff_test_problems():
    vdp, lorenz, robertson = kernels.stiff_van_der_pol(), kernels.lorenz(), kernels.robertson()
    assert looks_stiff(vdp, 0.0, [2.0, 0.0], [1000.0], span=1.0, max_steps=50) > 1000.0
    assert looks_stiff(kernels.stiff_van_der_pol(1.0), 0.0, [2.0, 0.0], [1.0], span=10.0, max_steps=5) is None
    # stiff, but a budget that covers the span at the stable step is no reason to stop
    assert looks_stiff(vdp, 0.0, [2.0, 0.0], [1000.0], span=1.0, max_steps=10_000) is None
    assert looks_stiff(lorenz, 0.0, [1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0], span=1000.0, max_steps=10) is None
    # Robertson is not stiff at y0 = (1, 0, 0), but is after its transient (without jac: differences)
    plain = kernels.ODESystem(robertson.rhs, 3, 3)
    params = robertson.default_params
    assert looks_stiff(plain, 0.0, [1.0, 0.0, 0.0], params, span=1e5, max_steps=1000) is None
    assert looks_stiff(plain, 1.0, [0.966, 3.1e-5, 0.034], params, span=1e5, max_steps=1000) is not None
