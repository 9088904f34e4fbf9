"""The peers' Lorenz-96 right-hand sides, as each framework is given them, equal the problem's own (host, NumPy).

cubie, diffrax and torchdiffeq do not run in CI; these checks run their adapters' right-hand sides with NumPy
standing in for the framework (``jnp.roll`` and ``torch.roll`` are ``np.roll``), so a wrong index on the
ring is caught here, not on the GPU.
"""

import types

import numpy as np
import pytest

from benchmarks.peer_cubie import lorenz96_spec
from benchmarks.peer_diffrax import _vector_field
from benchmarks.peer_problems import PROBLEM_NAMES, get_problem
from benchmarks.peer_torchdiffeq import TorchdiffeqPeer

PROBLEM = get_problem("lorenz96")
Y0, PARAMS = PROBLEM.make_problem(5)
STATES = np.random.default_rng(7).normal(8.0, 3.0, size=(5, PROBLEM.n_states))


def _reference(row):
    return np.array([PROBLEM.host_rhs(PARAMS[row])(0.0, STATES[row])])[0]


def test_the_problems_are_lorenz_and_lorenz96():
    assert PROBLEM_NAMES == ("lorenz", "lorenz96")
    assert Y0.shape == (5, 16) and PARAMS.shape == (5, 2)
    np.testing.assert_allclose(PARAMS[:, 0], np.linspace(4.0, 12.0, 5), rtol=1e-6)
    assert (PARAMS[:, 1] == 1.0).all()


@pytest.mark.parametrize("row", range(5))
def test_cubie_equation_strings(row):
    spec = lorenz96_spec(STATES[row], *PARAMS[row])
    assert list(spec["parameters"]) == ["forcing", "damping"] and len(spec["equations"]) == 16
    env = {f"x{i}": float(v) for i, v in enumerate(STATES[row])}
    env.update(forcing=float(PARAMS[row][0]), damping=float(PARAMS[row][1]))
    got = [eval(eq.split("=", 1)[1], {}, env) for eq in spec["equations"]]  # noqa: S307 - our own strings
    np.testing.assert_allclose(got, _reference(row), rtol=1e-12)


@pytest.mark.parametrize("row", range(5))
def test_diffrax_vector_field(row):
    vf, unpack = _vector_field("lorenz96", np)
    np.testing.assert_allclose(vf(0.0, STATES[row], unpack(PARAMS[row])), _reference(row), rtol=1e-6)


def test_torchdiffeq_right_hand_side_on_the_batch():
    peer = TorchdiffeqPeer(types.SimpleNamespace(problem="lorenz96"))
    peer.torch = types.SimpleNamespace(roll=lambda x, shift, dims: np.roll(x, shift, axis=dims))
    peer.problem = "lorenz96"
    got = peer._rhs(PARAMS.astype(np.float64))(0.0, STATES)
    np.testing.assert_allclose(got, np.array([_reference(r) for r in range(5)]), rtol=1e-6)
