"""Every Python example of README.md runs as written (so the examples cannot drift from the code).

Each ```python block is executed in a fresh namespace named ``__main__``, as a script saved from it
runs, in the order of the README, on whatever backend is present (the examples choose their batch
size by backend, so the simulator keeps them to seconds).
"""

import contextlib
import io
import os
import re
import warnings

import pytest

import kernels  # (chooses the backend before anything imports numba.cuda)

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def _python_blocks():
    with open(README, encoding="utf-8") as handle:
        text = handle.read()
    return [(text.count("\n", 0, match.start()) + 2, match.group(1))
            for match in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M)]


BLOCKS = _python_blocks()


def test_the_readme_has_its_examples():
    """A renamed fence would silently skip an example: the kernels and planner examples are all here."""
    assert len(BLOCKS) >= 3
    joined = "\n".join(code for _, code in BLOCKS)
    for words in ("kernels.solve_ivp(lorenz", "kernels.ODESystem(pendulum", "n_drivers=1",
                  "from planner import"):
        assert words in joined, words


def _starts_a_cluster(code):
    return bool(re.search(r"\b(LocalCluster|gpu_cluster|SpecCluster|LocalCUDACluster)\(", code))


def test_a_cluster_is_started_under_the_main_guard():
    """Saved as a script, a block that starts Dask workers at its top level fails: the workers start by spawn,
    which runs the script's top level again in each ("Nanny failed to start").  Every such block starts them
    under ``if __name__ == "__main__":`` (directly or in a function called there)."""
    clusters = [(line, code) for line, code in BLOCKS if _starts_a_cluster(code)]
    assert clusters, "the Dask examples start clusters"
    for line, code in clusters:
        guard = code.find('if __name__ == "__main__":')
        assert guard >= 0, f"README.md:{line}"
        top_level = [text for text in code[:guard].splitlines() if text and not text[0].isspace()]
        assert not any(_starts_a_cluster(text) for text in top_level), f"README.md:{line}"


# The library's warnings about a user's settings: an example that draws one teaches settings it warns against
# (the quickstart's float32 Lorenz sweep at rtol 1e-6 drew a ToleranceWarning, a statistician's trial), unless the
# block names the warning it shows.
ADVICE = (kernels.ToleranceWarning, kernels.PrecisionWarning, kernels.StabilityWarning, kernels.JacobianCheckWarning,
          kernels.UnusedOptionWarning, kernels.CompileCheckWarning)


@pytest.mark.parametrize("line, code", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_example_runs(line, code):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Compiled with README.md and the fence's line as its file name, so a failure points there.
        # Named __main__, as a saved script runs: the Dask examples start their clusters under that guard.
        exec(compile("\n" * (line - 1) + code, README, "exec"), {"__name__": "__main__"})
    assert out.getvalue().strip(), "every example prints what it shows"
    unshown = [w for w in caught if issubclass(w.category, ADVICE) and w.category.__name__ not in code]
    assert not unshown, f"README.md:{line} warns: {unshown[0].category.__name__}: {unshown[0].message}"
