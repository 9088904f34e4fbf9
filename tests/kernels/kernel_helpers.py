"""Helpers shared by the kernels tests (imported by name: pytest puts this folder on sys.path)."""

import math
import threading

import numpy as np
import pytest

import kernels

on_gpu = kernels.backend() == "cuda"
gpu = pytest.mark.skipif(not on_gpu, reason="needs a real CUDA GPU (kernels.backend() != 'cuda')")
# device functions that are host Python (counters in a closure): they run only on Numba's simulator
simulator_only = pytest.mark.skipif(on_gpu, reason="host Python inside device functions runs on the simulator only")


def _in_kernel():
    """Whether a call comes from the kernel: the simulator runs each CUDA thread as a Python thread, and the host's
    own checks and notes (before a launch, or after it: the invariant drift, the growth warning) run on the main
    thread."""
    return threading.current_thread() is not threading.main_thread()


def counting_system(base, calls, derivatives=("jac", "jvp")):
    """``base`` (an ODESystem) whose rhs and the given ``derivatives`` count the calls the kernel makes in ``calls``
    (``{"rhs": 0, "jac": 0, "jvp": 0}``; host Python: simulator only; the host's own calls are not counted)."""
    rhs0, jvp0, jac0 = base.rhs, base.jvp, base.jac

    def rhs(t, y, p, dydt):
        calls["rhs"] += _in_kernel()
        rhs0(t, y, p, dydt)

    def jvp(t, y, p, v, out):
        calls["jvp"] += _in_kernel()
        jvp0(t, y, p, v, out)

    def jac(t, y, p, J):
        calls["jac"] += _in_kernel()
        jac0(t, y, p, J)

    given = {"jac": jac, "jvp": jvp}
    return kernels.ODESystem(rhs, base.n_states, base.n_params, name="counted", default_params=base.default_params,
                             check=False, **{name: given[name] for name in derivatives})


def lorenz_params(rhos):
    rhos = np.asarray(rhos, dtype=np.float64)
    return np.column_stack([np.full(rhos.size, 10.0), rhos, np.full(rhos.size, 8.0 / 3.0)])


def scipy_reference(system, t_span, y0, params, t_eval, drivers=None):
    """SciPy DOP853 at rtol = atol = 1e-12: (N, len(t_eval), n_states)."""
    from scipy.integrate import solve_ivp

    y0 = np.atleast_2d(y0)
    params = np.atleast_2d(params)
    out = []
    for i in range(params.shape[0]):
        sol = solve_ivp(system.host_rhs(params[i], drivers), t_span, y0[i % y0.shape[0]], method="DOP853",
                        rtol=1e-12, atol=1e-12, t_eval=t_eval)
        assert sol.success
        out.append(sol.y.T)
    return np.array(out)


def start_on_cuda_target(script, *args):
    """Start ``python -c script *args`` with Numba's CUDA target (``NUMBA_ENABLE_CUDASIM=0``; no GPU needed
    to compile PTX and count it with ptxas)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def cuda_target_result(process, timeout=600):
    """The JSON the script of :func:`start_on_cuda_target` printed last; its stderr tail if it failed."""
    import json

    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


def run_on_cuda_target(script, *args, timeout=600):
    """:func:`start_on_cuda_target` and wait for its result."""
    return cuda_target_result(start_on_cuda_target(script, *args), timeout)


def run_cases_on_cuda_target(script, cases, processes=2, args=()):
    """The rows ``script`` prints for ``json.dumps(cases)`` (then the arguments ``args``), with the cases
    split between ``processes`` compiling at once (compiles are single-threaded; CI has two cores)."""
    import json

    started = [start_on_cuda_target(script, json.dumps(list(cases[i::processes])), *args) for i in range(processes)]
    return [row for process in started for row in cuda_target_result(process)]


def audit_allocations(built):
    """The memory audit of a built kernel (``kernels.audit``, which raises ``MemoryAuditError`` on a mismatch).

    Returns ``(declared, records)`` keyed by ``(qualified component, buffer name)`` for the caller's own checks.
    """
    from kernels.memory_audit import declared_buffers

    tree = built.settings.buffer_settings()
    return declared_buffers(tree), dict(kernels.audit(built, tree).records)


def _executing(dask_worker):
    return [ts.key for ts in dask_worker.state.executing]


def kill_a_running_chunk(client, chunked):
    """SIGKILL a worker while it runs one of ``chunked``'s chunks; gather and return the result.

    Checks that the worker really died and that the lost chunk (or its result, if it ended in the
    instant before the kill: that result lived on the dead worker) was computed again.
    """
    import os
    import signal
    import time

    pids = client.run(os.getpid)
    victim, deadline = None, time.monotonic() + 30
    while victim is None and time.monotonic() < deadline:
        for address, keys in client.run(_executing).items():
            running = [k for k in keys if str(k).startswith("bufferplan-chunk-")]
            if running:
                victim, lost = address, running[0]
                break
        else:
            time.sleep(0.02)
    assert victim is not None, "no chunk was ever seen running"
    os.kill(pids[victim], signal.SIGKILL)  # mid-chunk
    result = chunked.gather()
    from kernels.distributed import scheduler_workers

    assert victim not in scheduler_workers(client)  # the worker really died (and the list is not a stale empty one)
    moves = [entry[2:4] for entry in client.story(lost) if entry[:2] == ("scheduler", lost)]
    lost_at = next(i for i, move in enumerate(moves) if move in (("processing", "released"), ("memory", "released")))
    assert ("processing", "memory") in moves[lost_at:], moves  # computed again after the loss
    return result


def reaction_diffusion(n):
    """``u' = D u_xx + r u^2 (1 - u)`` on ``n`` interior points, ``u = 0`` at both ends: stiff."""

    def rhs(t, y, p, dydt):
        d = p[0] * (n + 1) * (n + 1)
        r = p[1]
        for i in range(n):
            left = y[i - 1] if i > 0 else 0.0
            right = y[i + 1] if i < n - 1 else 0.0
            dydt[i] = d * (left - 2.0 * y[i] + right) + r * y[i] * y[i] * (1.0 - y[i])

    def jac(t, y, p, J):
        d = p[0] * (n + 1) * (n + 1)
        r = p[1]
        for i in range(n * n):
            J[i] = 0.0
        for i in range(n):
            J[i * n + i] = -2.0 * d + r * (2.0 * y[i] - 3.0 * y[i] * y[i])
            if i > 0:
                J[i * n + i - 1] = d
            if i < n - 1:
                J[i * n + i + 1] = d

    def jvp(t, y, p, v, out):
        d = p[0] * (n + 1) * (n + 1)
        r = p[1]
        for i in range(n):
            left = v[i - 1] if i > 0 else 0.0
            right = v[i + 1] if i < n - 1 else 0.0
            out[i] = d * (left - 2.0 * v[i] + right) + r * (2.0 * y[i] - 3.0 * y[i] * y[i]) * v[i]

    return kernels.ODESystem(rhs, n, 2, name=f"reaction_diffusion_{n}", jac=jac, jvp=jvp)


def stiff_pair(t, y, p, dydt):
    """A linear 2-state system with eigenvalues near -1000 and -1 (its Jacobian is [[-1000, 1], [0.5, -1]])."""
    dydt[0] = -1000.0 * y[0] + y[1]
    dydt[1] = 0.5 * y[0] - y[1]


def rosenzweig_macarthur(t, y, p, dydt):
    """Rosenzweig-MacArthur predator-prey, y = (prey N, predator P), p = (r, K, a, h, e, m): a Holling type II
    predator whose cycles take the prey to tiny values for large K (the paradox of enrichment)."""
    N = y[0]
    P = y[1]
    f = p[2] * N / (1.0 + p[2] * p[3] * N)
    dydt[0] = p[0] * N * (1.0 - N / p[1]) - f * P
    dydt[1] = p[4] * f * P - p[5] * P


def contact_matrix_rhs(t, y, p, dydt):
    """A 4-group infection: p[0] a rate, p[1:17] a 4x4 contact matrix flattened row by row, read by index
    (``p[1 + i * 4 + j]``: what a reshaped slice of p, which does not compile, is told)."""
    for i in range(4):
        lam = 0.0
        for j in range(4):
            lam += p[1 + i * 4 + j] * y[j]
        dydt[i] = -p[0] * lam


LORENZ = kernels.lorenz()
GOOD = dict(system=LORENZ, t_span=(0.0, 0.1), y0=[1.0, 1.0, 1.0])  # a call that runs (test_validation*)


def call(**changes):
    """``kernels.solve_ivp`` of :data:`GOOD` with ``changes``."""
    kwargs = dict(GOOD, **changes)
    return kernels.solve_ivp(kwargs.pop("system"), kwargs.pop("t_span"), kwargs.pop("y0"), **kwargs)


def swing2(t, y, p, dydt):
    """Two machines' swing equations: y = (angles, speeds), p = (Pm[2], B[2x2] row-major, D[2], M[2])."""
    for i in range(2):
        s = 0.0
        for j in range(2):
            s += p[2 + i * 2 + j] * math.sin(y[i] - y[j])
        dydt[i] = y[2 + i]
        dydt[2 + i] = (p[i] - p[6 + i] * y[2 + i] - s) / p[8 + i]


def kepler(t, y, p, dydt):
    """The Kepler problem in the plane, ``p[0] = GM``: ``y = (x, y, vx, vy)``."""
    r2 = y[0] * y[0] + y[1] * y[1]
    r3 = r2 * math.sqrt(r2)
    dydt[0] = y[2]
    dydt[1] = y[3]
    dydt[2] = -p[0] * y[0] / r3
    dydt[3] = -p[0] * y[1] / r3


def kuramoto_rhs(n):
    """The rhs of ``n`` Kuramoto oscillators: p[0] the coupling K, p[1:n + 1] the natural frequencies."""
    def kuramoto(t, y, p, dydt):
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += math.sin(y[j] - y[i])
            dydt[i] = p[1 + i] + p[0] / n * s
    return kuramoto


# fixed-step counts for an order fit, by the method's order (test_dirk*: add a new order here)
COUNTS = {1: (50, 100, 200, 400), 2: (20, 40, 80, 160), 3: (10, 20, 40, 80), 4: (8, 16, 32, 64),
          5: (8, 16, 32, 64)}


def enzyme_binding(t, y, p, dydt):
    """E + S <-> C -> E + P (states S, E, C, P; kf, kr, kcat): binding at kf E0 = 1e3 settles within 1e-2."""
    v1 = p[0] * y[1] * y[0] - p[1] * y[2]
    v2 = p[2] * y[2]
    dydt[0] = -v1
    dydt[1] = -v1 + v2
    dydt[2] = v1 - v2
    dydt[3] = v2


def enzyme_binding_jac(t, y, p, J):
    kf, kr, kc = p[0], p[1], p[2]
    J[0] = -kf * y[1]
    J[1] = -kf * y[0]
    J[2] = kr
    J[3] = 0.0
    J[4] = -kf * y[1]
    J[5] = -kf * y[0]
    J[6] = kr + kc
    J[7] = 0.0
    J[8] = kf * y[1]
    J[9] = kf * y[0]
    J[10] = -kr - kc
    J[11] = 0.0
    J[12] = 0.0
    J[13] = 0.0
    J[14] = kc
    J[15] = 0.0


# a stiff enzyme system shared by the DIRK and FIRK tests (test_firk imports it through test_dirk)
ENZYME = kernels.ODESystem(enzyme_binding, 4, 3, name="enzyme_binding", jac=enzyme_binding_jac)
ENZYME_FD = kernels.ODESystem(enzyme_binding, 4, 3, name="enzyme_binding_fd")
ENZYME_Y0, ENZYME_P = (1.0, 0.1, 0.0, 0.0), (1e4, 10.0, 1.0)


def heat_system(n, jac=False, jvp=False):
    """The heat equation on ``n`` interior points, ``D = p[0]``, with the dense ``jac`` and ``jvp`` where asked."""
    inv = float((n + 1) ** 2)

    def heat(t, y, p, dydt):
        for i in range(n):
            left = y[i - 1] if i > 0 else 0.0
            right = y[i + 1] if i < n - 1 else 0.0
            dydt[i] = p[0] * inv * (left - 2.0 * y[i] + right)

    def heat_jac(t, y, p, J):
        for k in range(n * n):
            J[k] = 0.0
        for i in range(n):
            J[i * n + i] = -2.0 * p[0] * inv
            if i > 0:
                J[i * n + i - 1] = p[0] * inv
            if i < n - 1:
                J[i * n + i + 1] = p[0] * inv

    def heat_jvp(t, y, p, v, out):
        for i in range(n):
            left = v[i - 1] if i > 0 else 0.0
            right = v[i + 1] if i < n - 1 else 0.0
            out[i] = p[0] * inv * (left - 2.0 * v[i] + right)

    extra = {"jac": heat_jac} if jac else {}
    if jvp:
        extra["jvp"] = heat_jvp
    return kernels.ODESystem(heat, n_states=n, n_params=1, name=f"heat{n}", default_params=[1.0], **extra)


def span_cuts_match_fresh_readings(rhs):
    """The switch times of ``rhs`` (:func:`kernels.time_branches.time_switches`) over spans moving forward, wide and
    narrow, each against the source read over that span alone (a span cut from a wide reading is what a fresh
    reading gives)."""
    import kernels.time_branches as time_branches

    rng = np.random.default_rng(7)
    spans = sorted((t0, t0 + w) for t0, w in zip(rng.uniform(-50.0, 1500.0, 40), rng.choice([1.0, 5.0, 300.0], 40)))
    for span in spans:
        got = time_branches.time_switches(rhs, span)
        fresh = time_branches._restricted(time_branches._read(*time_branches._definition(rhs), np.array(span)), span)
        assert len(got) == len(fresh), span
        for (times, unknown, lines), (times_f, unknown_f, lines_f) in zip(got, fresh):
            assert times.tolist() == pytest.approx(times_f.tolist()) and unknown == unknown_f and lines == lines_f
