"""kernels.distributed.map_configurations: its arguments and its failures, on the shared two-worker ``client``."""

import numpy as np
import pytest

import kernels
from kernels.errors import ConfigurationError

distributed = pytest.importorskip("distributed")
from kernels.distributed import configuration_key, map_configurations  # noqa: E402

CONFIGURATIONS = [{"method": m, "masses": k} for m in ("rk4", "tsit5") for k in (2, 8)]


def _measure(configuration):
    return configuration["masses"] * 10


def test_done_takes_configuration_keys_and_names_what_else_it_got(client):
    """done=recorded (the configurations) failed with "unhashable type: 'dict'", and one key as a string was read
    as a set of characters, skipping nothing in silence."""
    recorded = [CONFIGURATIONS[0]]
    with pytest.raises(ConfigurationError, match=r"done must be a set .*configuration keys.*holds \{'method': 'rk4'"):
        list(map_configurations(client, _measure, CONFIGURATIONS, done=recorded))
    with pytest.raises(ConfigurationError, match=r"done must be a set .*got one string, .*masses.*pass \{key\}"):
        list(map_configurations(client, _measure, CONFIGURATIONS, done=configuration_key(recorded[0])))
    with pytest.raises(ConfigurationError, match=r"done must be a set .*got 7"):
        list(map_configurations(client, _measure, CONFIGURATIONS, done=7))
    ran = [c for c, _ in map_configurations(client, _measure, CONFIGURATIONS, done=[configuration_key(recorded[0])])]
    assert len(ran) == 3 and recorded[0] not in ran
    # a custom key= gives keys of its own kind, ints here (refused as "not strings" by the first fix: a hunt)
    ran = [c for c, _ in map_configurations(client, _measure, CONFIGURATIONS, done={0, 1},
                                            key=CONFIGURATIONS.index)]
    assert ran and all(CONFIGURATIONS.index(c) > 1 for c in ran)


def _solve_with(configuration):
    with open(configuration["runs"], "a") as runs:  # one line a run
        runs.write("run\n")
    result = kernels.solve_ivp(kernels.van_der_pol(), (0.0, 0.1), [2.0, 0.0], [[1.0]], method=configuration["method"],
                               dt=0.05, progress=False)
    return result.y[:, -1].copy()


def test_a_configuration_error_is_raised_once_and_not_retried(client, tmp_path):
    """method="RK45" was run three times (retries=2), each logging "Compute Failed" and a traceback on the workers,
    before the client raised its ConfigurationError."""
    runs = tmp_path / "runs.txt"
    with pytest.raises(ConfigurationError, match="method 'RK45' is SciPy's"):
        list(map_configurations(client, _solve_with, [{"method": "RK45", "runs": str(runs)}], retries=2))
    assert runs.read_text().count("run") == 1
    (configuration, error), = map_configurations(client, _solve_with, [{"method": "RK45", "runs": str(runs)}],
                                                 errors="return")
    assert configuration["method"] == "RK45" and isinstance(error, ConfigurationError)
    (_, y_end), = map_configurations(client, _solve_with, [{"method": "rk4", "runs": str(runs)}])
    assert np.all(np.isfinite(y_end)) and runs.read_text().count("run") == 3
