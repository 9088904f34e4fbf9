import numpy as np, kernels, warnings
from scipy.integrate import solve_ivp as sp
from benchmarks.e5_long import PARAMS, Y0, system
warnings.simplefilter("ignore")
import sys
PREC = np.float64 if sys.argv[1:] == ["64"] else np.float32
s = system()
f = s.host_rhs(np.array(PARAMS))
ref = sp(f, (0, 1e5), np.array(Y0), method="Radau", rtol=1e-11, atol=1e-30).y[:, -1]
for atol in (1e-12, 1e-20):
    for m in ("radau", "rodas4", "rodas5p", "kvaerno5", "sdirk4"):
        r = kernels.solve_ivp(s, (0, 1e5), Y0, method=m, rtol=1e-4, atol=atol, precision=PREC, progress=False, max_steps=20000)
        err = (np.abs(r.y[0, -1] - ref) / (atol + 1e-4 * np.abs(ref))).max()
        print(f"atol {atol:g} {m:9s} status {int(r.status[0])} steps {int(r.n_steps[0])} rej {int(r.n_rejected[0])} err {err:.3g}", flush=True)
