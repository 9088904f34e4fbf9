"""lto=False against numba-cuda's default (LTO with nvJitLink): cold compile and kernel time, fresh processes."""
import json, os, subprocess, sys, time
RUN = r'''
import hashlib, json, sys, time
t0 = time.perf_counter()
import numpy as np, kernels
from numba import cuda
method, n, prec = sys.argv[1], int(sys.argv[2]), sys.argv[3]
dtype = np.dtype(prec).type
N = 65536
if method == "tsit5":
    system, y0 = kernels.lorenz(), np.array([1.0, 1.0, 1.0])
    params = np.column_stack([np.full(N, 10.0), np.linspace(0, 28, N), np.full(N, 8.0 / 3.0)])
    span, dt = (0.0, 1.0), 1e-3
    integ = kernels.Integrator(system, method, controller="fixed", precision=dtype)
else:
    system, y0 = kernels.brusselator(n), kernels.brusselator_initial(n)
    params = np.column_stack([np.ones(N), np.linspace(2.5, 3.5, N), np.full(N, 1.0 / 50.0)])
    span, dt = (0.0, {8: 0.1, 32: 0.1, 64: 0.02, 128: 0.01}[n]), 1e-3
    integ = kernels.Integrator(system, method, controller="fixed", precision=dtype, solver="lu")
plan = integ.plan("local", block_size=128)
integ.solve(span, y0, params[:256], dt=dt, plan=plan)
compile_s = time.perf_counter() - t0
y0d = cuda.to_device(np.tile(y0, (N, 1)).astype(dtype)); pd = cuda.to_device(params.astype(dtype))
res = integ.solve(span, y0d, pd, dt=dt, plan=plan)
ms = []
for _ in range(5):
    a, b = cuda.event(), cuda.event(); a.record()
    res = integ.solve(span, y0d, pd, dt=dt, plan=plan, out=res)
    b.record(); b.synchronize(); ms.append(cuda.event_elapsed_time(a, b))
y = res.y.copy_to_host()
r = integ.build(plan).resources()
print(json.dumps({"compile_s": compile_s, "ms": sorted(ms)[2], "all_ms": ms, "regs": r.registers_per_thread,
                  "local": r.local_bytes_per_thread, "digest": hashlib.sha256(y.tobytes()).hexdigest()[:16]}))
'''
configs = [("tsit5", 3, "float32"), ("rodas4", 8, "float32"), ("sdirk4", 32, "float32"), ("radau", 32, "float64"),
           ("rodas4", 64, "float32"), ("radau", 64, "float32"), ("rodas4", 128, "float32"), ("radau", 128, "float32")]
rows = []
for cfg in configs:
    for lto in ("default", "off"):
        env = dict(os.environ, BUFFERPLAN_COMPILE_CACHE="off")
        if lto == "off":
            env["BUFFERPLAN_LTO"] = "0"
        done = subprocess.run([sys.executable, "-c", RUN, *map(str, cfg)], capture_output=True, text=True, env=env,
                              timeout=240)
        row = {"config": cfg, "lto": lto}
        if done.returncode == 0:
            row.update(json.loads(done.stdout.strip().splitlines()[-1]))
        else:
            row["error"] = done.stderr[-800:]
        rows.append(row)
        print(json.dumps(row), flush=True)
json.dump(rows, open(os.path.join(os.environ["OUT"], "lto.json"), "w"), indent=1)
