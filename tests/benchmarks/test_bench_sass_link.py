"""benchmarks.sass_link: stall counts read from the control bits that cuobjdump prints (the link itself needs
nvJitLink, on the GPU machine or unpacked from its wheel)."""

from benchmarks import sass_link

# Three instructions of a Lorenz RK4 kernel as cuobjdump -sass printed them (nvJitLink 13.0.88, sm_90); their
# stall counts are bits 41 to 44 of each second word: 0x000fc8... -> 4, 0x000fda... -> 13, 0x001fea... -> 5.
SASS = """
        Function : kernel
        .headerflags    @"EF_CUDA_SM90 EF_CUDA_VIRTUAL_SM(EF_CUDA_SM90)"
        /*0070*/                   ISETP.GE.U32.AND P0, PT, R24, UR4, PT ;                     /* 0x0000000418007c0c */
                                                                                               /* 0x000fc8000bf06070 */
        /*0080*/                   ISETP.GE.AND.EX P0, PT, R25, UR5, PT, P0 ;                  /* 0x0000000519007c0c */
                                                                                               /* 0x000fda000bf06300 */
        /*0090*/               @P0 EXIT ;                                                      /* 0x000000000000094d */
                                                                                               /* 0x001fea0003800000 */
        Function : other
        /*0000*/                   EXIT ;                                                      /* 0x000000000000794d */
                                                                                               /* 0x000fea0003800000 */
"""


def test_stall_counts_come_from_the_high_word_of_each_instruction_of_the_first_function():
    assert sass_link.stall_cycles(SASS) == {0x70: 4, 0x80: 13, 0x90: 5}


def test_a_listing_without_encodings_has_no_stall_counts():
    plain = "\n".join(line.split(";")[0] + " ;" for line in SASS.splitlines() if "/*0" in line)
    assert sass_link.stall_cycles("Function : k\n" + plain) == {}
