"""benchmarks.register_bases: the fitted base is the intercept that the held rates leave."""

import pytest

from benchmarks import register_bases


def _row(words, registers, rate=0.8, local_bytes=0):
    return {"words": words, "registers": registers, "rate": rate, "local_bytes": local_bytes}


def test_the_base_is_the_mean_residual_of_the_kernels_kept_in_registers():
    rows = [_row(10, 30), _row(20, 34), _row(30, 42, rate=0.6), _row(100, 255, local_bytes=64)]
    base, used = register_bases.fit_base(rows)
    assert used == 3  # the spilling kernel says nothing about the base
    assert base == round(((30 - 8) + (34 - 16) + (42 - 18)) / 3)


def test_it_refuses_the_simulator(capsys):
    with pytest.raises(SystemExit, match="NUMBA_ENABLE_CUDASIM=0"):
        register_bases.main(["--out", "unused"])
