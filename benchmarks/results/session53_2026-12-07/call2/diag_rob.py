import os, sys
import numpy as np, warnings, kernels
from benchmarks.fd_jacobian_cost import problems
n = int(sys.argv[1])
for method in sys.argv[2].split(","):
    sys_, t_end, y0, p, _ = problems(n, [])["robertson"]
    integ = kernels.Integrator(sys_, method, "pi", np.float32)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = integ.solve((0.0, t_end), y0, p, rtol=1e-5, atol=1e-5, progress=False)
    st, cnt = np.unique(np.asarray(res.status), return_counts=True)
    print(method, n, "status", dict(zip(st.tolist(), cnt.tolist())), "steps", np.mean(res.n_steps))
    print(" ends", res.y[:3, :, -1].tolist(), res.y[-1, :, -1].tolist())
    print(" repr:", repr(res)[:400]); bad = np.flatnonzero(np.asarray(res.status) != 0)
    if bad.size: print(" message:", bad[:5], res.message(int(bad[0]))[:800], res.n_steps[bad[:5]], res.y[bad[:3], :, -1].tolist())
    for x in w[:5]:
        print(" warn:", str(x.message)[:300])
