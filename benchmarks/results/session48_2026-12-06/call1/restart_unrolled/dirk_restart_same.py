"""Bit-identity of the unrolled restart form against the in-place rerun (and the one-site loop) on fixed steps."""
import dataclasses, sys, numpy as np
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[5] / "tests" / "kernels"))
import kernels
from test_dirk import ENZYME, ENZYME_FD, ENZYME_Y0, ENZYME_P, _driven_relaxation

def run(system, method, span, y0, p, dt, prec, layout, drivers=None):
    integ = kernels.Integrator(system, method, controller="fixed", precision=prec)
    kw = {"restart_up_to_bytes": 10**9} if layout == "restart" else {"one_site_from": 1} if layout == "onesite" else {"restart_up_to_bytes": 0}
    integ.settings = dataclasses.replace(integ.settings, step=dataclasses.replace(integ.settings.step, **kw))
    assert integ.settings.step.restarts(np.dtype(prec).itemsize) == (layout != "inplace"), (layout, integ.settings.step.restarts)
    extra = {} if drivers is None else {"drivers": drivers}
    return integ.solve(span, y0, p, dt=dt, rtol=1e-3, atol=1e-6, **extra)

vdp = kernels.van_der_pol()
times = np.linspace(0.0, 1.0, 11)
values = np.stack([3.0 * np.sin(5.0 * times), 1.0 + times], axis=1)
relax = kernels.ODESystem(_driven_relaxation, 2, 2, n_drivers=2, name="driven_relaxation")
cases = [("enzyme", ENZYME, (0.0, 0.5), ENZYME_Y0, ENZYME_P, 0.1, None),
         ("enzyme_fd", ENZYME_FD, (0.0, 0.5), ENZYME_Y0, ENZYME_P, 0.05, None),
         ("vdp1000", vdp, (0.0, 2.0), [2.0, 0.0], [[1000.0], [100.0]], 0.01, None),
         ("relax", relax, (0.0, 1.0), [[1.0, 0.5], [0.2, 0.1]], [[50.0, 2.0], [200.0, 1.0]], 0.1, (times, values)),
         ("brus8", kernels.brusselator(8), (0.0, 0.5), None, None, 0.01, None)]
bad = n = 0
for method in ["backward_euler", "trapezoid", "sdirk2", "kvaerno3", "sdirk4", "kvaerno5"]:
    for name, sysm, span, y0, p, dt, drv in cases:
        if name == "brus8":
            y0 = np.tile(np.r_[1.0 + np.sin(np.linspace(0, 3, 4)), np.full(4, 3.0)], (2, 1)); p = [[1.0, 3.0, 0.02], [1.0, 2.5, 0.02]]
        for prec in (np.float64, np.float32):
            try:
                rs = [run(sysm, method, span, y0, p, dt, prec, lay, drv) for lay in (("inplace", "restart", "onesite") if method not in ("trapezoid", "backward_euler") else ("inplace", "restart"))]
            except Exception as e:
                print("ERR", method, name, prec.__name__, type(e).__name__, str(e)[:150]); continue
            n += 1
            same = all(np.array_equal(rs[0].y, r.y, equal_nan=True) and np.array_equal(rs[0].status, r.status) for r in rs[1:])
            bad += not same
            print(method, name, prec.__name__, "same" if same else "DIFF", list(rs[0].status))
print(f"{n - bad} of {n} identical")
