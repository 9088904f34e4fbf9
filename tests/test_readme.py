"""Every Python example of README.md runs as written (so the examples cannot drift from the code).

Each ```python block is executed in a fresh namespace, in the order of the README, on whatever
backend is present (the examples choose their batch size by backend, so the simulator keeps them
to seconds).
"""

import contextlib
import io
import os
import re

import pytest

import kernels  # noqa: F401  (chooses the backend before anything imports numba.cuda)

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


@pytest.mark.parametrize("line, code", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_example_runs(line, code):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        # Compiled with README.md and the fence's line as its file name, so a failure points there.
        exec(compile("\n" * (line - 1) + code, README, "exec"), {"__name__": "readme_example"})
    assert out.getvalue().strip(), "every example prints what it shows"
