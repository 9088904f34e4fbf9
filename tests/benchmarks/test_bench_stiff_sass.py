"""benchmarks.stiff_sass: its SASS classification and its arguments (the compile itself needs cuobjdump)."""

import pytest

from benchmarks import sass_report, stiff_sass

SASS = """
        Function : k
        /*0000*/                   LDL R2, [R1+0x10] ;
        /*0010*/                   LDL.128 R4, [R1+0x20] ;
        /*0020*/              @!P0 STL.64 [R1+0x40], R8 ;
        /*0030*/                   LD.E R3, desc[UR4][R10.64] ;
        /*0040*/                   ST.E [R12.64], R3 ;
        /*0050*/                   LDS R6, [R7] ;
        /*0060*/                   LDG.E.128 R12, desc[UR4][R2.64] ;
        /*0070*/                   FFMA R2, R3, R4, R5 ;
        /*0080*/                   LDL.LU R9, [R1+0x50] ;
"""


def test_memory_instructions_are_counted_by_space_and_width():
    counts = stiff_sass.memory_counts(sass_report.parse_sass(SASS))
    assert counts == {"local_load": 3, "local_load_bytes": 4 + 16 + 4, "local_store": 1, "local_store_bytes": 8,
                      "generic_load": 1, "generic_load_bytes": 4, "generic_store": 1, "generic_store_bytes": 4,
                      "shared_load": 1, "shared_load_bytes": 4, "global_load": 1, "global_load_bytes": 16}


@pytest.mark.parametrize("caps", ["none,8", "128,x", "300"])
def test_a_bad_register_cap_is_an_argument_error(caps, capsys):
    with pytest.raises(SystemExit) as stop:
        stiff_sass.parse_args(["--caps", caps])
    assert stop.value.code == 2 and "--caps:" in capsys.readouterr().err


@pytest.mark.parametrize("argv, flag", [(["--impls", "cubie-lu"], "--impls"), (["--plans", "auto"], "--plans"),
                                        (["--sizes", "7"], "--sizes"), (["--precisions", "float16"], "--precisions")])
def test_a_bad_configuration_is_an_argument_error(argv, flag, capsys):
    with pytest.raises(SystemExit) as stop:
        stiff_sass.parse_args(argv)
    assert stop.value.code == 2 and f"{flag}:" in capsys.readouterr().err
