"""Prototype: PTX from Numba's NVVM input through llvmlite's NVPTX backend instead of libNVVM."""
import sys, pickle, time, re
import llvmlite.binding as llvm
from numba.cuda.cudadrv import nvvm

llvm.initialize_all_targets(); llvm.initialize_all_asmprinters()

def to_ptx(irs, options, cc=(9, 0)):
    target = llvm.Target.from_triple("nvptx64-nvidia-cuda")
    tm = target.create_target_machine(cpu=f"sm_{cc[0]}{cc[1]}", features="+ptx80", opt=3)
    mods = []
    for text in irs:
        text = nvvm.llvm_replace(text)
        m = llvm.parse_assembly(text)
        mods.append(m)
    main = mods[0]
    for m in mods[1:]:
        main.link_in(m)
    lib = llvm.parse_bitcode(bytes(nvvm.LibDevice().get()))
    lib.triple = "nvptx64-nvidia-cuda"
    lib.data_layout = str(tm.target_data)
    main.triple = "nvptx64-nvidia-cuda"
    main.data_layout = str(tm.target_data)
    kernels = set()
    for text in irs:
        kernels.update(re.findall(r'@"?([^",\s]+)"?, !"kernel"', text))
    main.link_in(lib)
    for f in main.functions:
        if not f.is_declaration and f.name not in kernels:
            f.linkage = llvm.Linkage.internal
    for g in main.global_variables:
        if not g.is_declaration and g.name.startswith("_ZN08NumbaEnv"):
            g.linkage = llvm.Linkage.internal
    main.verify()
    pto = llvm.create_pipeline_tuning_options(3)
    pb = llvm.create_pass_builder(tm, pto)
    mpm = pb.getModulePassManager()
    mpm.run(main, pb)
    return tm.emit_assembly(main)

if __name__ == "__main__":
    tag = sys.argv[1]
    captured = pickle.load(open(f".var/ir_{tag}/capture.pkl", "rb"))
    irs, options = captured[-1]
    irs = [irs] if isinstance(irs, str) else irs
    t = time.process_time()
    ptx = to_ptx(irs, options)
    print("llvm s", round(time.process_time() - t, 2), "lines", ptx.count("\n"))
    open(f".var/ir_{tag}/llvm.ptx", "w").write(ptx)
