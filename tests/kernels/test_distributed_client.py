"""What a distributed solve tells about its own arguments: client=, a dask array beside a NumPy input, chunk_size, and
the progress bar it draws by default (a scale-out user's trial)."""

import numpy as np
import pytest

import kernels
from kernels.errors import ConfigurationError

distributed = pytest.importorskip("distributed")
from kernels.distributed import chunk_ranges, solve  # noqa: E402

LORENZ = kernels.lorenz()
SPAN, DT = (0.0, 0.05), 0.01


def _params(n):
    return np.column_stack([np.full(n, 10.0), np.linspace(0.0, 28.0, n), np.full(n, 8.0 / 3.0)])


def test_a_scheduler_address_or_a_cluster_is_told_to_connect_with_client(client):
    """client="tcp://..." was told only "client must be a dask.distributed.Client"."""
    integ = kernels.Integrator(LORENZ, "rk4", precision=np.float32)
    with pytest.raises(ConfigurationError, match=r"got the string 'tcp://nowhere:8786': .* Client\('tcp://nowhere"):
        integ.solve(SPAN, [1.0, 1.0, 1.0], _params(2), dt=DT, client="tcp://nowhere:8786")
    with pytest.raises(ConfigurationError, match=r"got the cluster .*Client\(cluster\)"):
        integ.solve(SPAN, [1.0, 1.0, 1.0], _params(2), dt=DT, client=client.cluster)
    with pytest.raises(ConfigurationError, match=r"got the string .*Client\('tcp"):
        list(kernels.map_configurations("tcp://nowhere:8786", str, [1]))


def test_a_numpy_input_beside_a_dask_array_is_told_how_to_make_it_one(client):
    """A 64-row NumPy y0 beside dask-array params was refused with no way forward; the remedy it gives now runs."""
    import dask.array as da

    integ = kernels.Integrator(LORENZ, "rk4", precision=np.float64)
    params = da.from_array(_params(8), chunks=(3, 3))
    y0 = np.tile([1.0, 1.0, 1.0], (8, 1)) + np.arange(8)[:, None]
    remedy = "y0 = dask.array.from_array(y0, chunks=(params.chunks[0], -1))"
    with pytest.raises(ConfigurationError, match="got 8 rows: make it a dask array cut as params is") as error:
        integ.solve(SPAN, y0, params, dt=DT, client=client, progress=False)
    assert remedy in str(error.value)
    spread = integ.solve(SPAN, da.from_array(y0, chunks=(params.chunks[0], -1)), params, dt=DT, client=client,
                         progress=False)
    np.testing.assert_array_equal(spread.y, integ.solve(SPAN, y0, _params(8), dt=DT).y)


def test_chunk_size_is_a_bound_and_the_sizes_are_balanced():
    """chunk_size=64 on 200 trajectories gives 4 chunks of 50, which "Trajectories per chunk" did not say."""
    from kernels.distributed import _n_chunks

    ranges = chunk_ranges(200, _n_chunks(200, 1, [], 64, 4))
    assert {stop - start for start, stop in ranges} == {50} and len(ranges) == 4
    assert "At most this many trajectories per chunk" in solve.__doc__
    assert "4 chunks of 50" in solve.__doc__


def test_a_solve_draws_its_chunk_bar_by_default_on_the_simulator(client, capsys, monkeypatch):
    """progress=None (the default) drew nothing with client=, where one process draws a line on the simulator once a
    solve has taken a few seconds (the README's promise); the wait is made 0 s here."""
    import kernels.progress

    integ = kernels.Integrator(LORENZ, "rk4", precision=np.float32)
    monkeypatch.setattr(kernels.progress, "QUIET_SECONDS", 0.0)
    solve(integ, client, SPAN, [1.0, 1.0, 1.0], _params(4), dt=DT, chunk_size=1)
    assert "4/4 chunks" in capsys.readouterr().err
    solve(integ, client, SPAN, [1.0, 1.0, 1.0], _params(4), dt=DT, chunk_size=1, progress=False)
    assert capsys.readouterr().err == ""
    chunked = solve(integ, client, SPAN, [1.0, 1.0, 1.0], _params(4), dt=DT, chunk_size=1, gather=False)
    assert capsys.readouterr().err == "" and chunked.gather().success  # gather=False: its gather() draws on request
