"""cubie (https://pypi.org/project/cubie/, 0.17.0) as a peer of ``benchmarks.peers`` (issue #4, part 1).

cubie is a batch ODE integrator on its own Numba-CUDA fork, ``cubie-numba-cuda-mlir`` (import name
``numba_cuda_mlir``, self-contained: it never imports ``numba``, so it lives beside the image's
numba-cuda in one process).  :class:`CubiePeer` wraps :class:`CubieAdapter` for ``benchmarks.peers``;
``benchmarks/fetch_cubie.sh`` packs what the GPU machine needs (README, "cubie").

How the benchmark problem is put to cubie:

* the system: ``create_ODE_system`` with the three Lorenz equations as strings, float32; cubie
  orders parameters by name, (beta, rho, sigma), so the rows of the (3, N) parameter array are
  reordered from peers.py's (sigma, rho, beta); all three are given per run
  (``fix_constant_parameters=False``) as the other peers get them; ``CUBIE_PEER_FIX_CONSTANTS=1``
  lets cubie compile the constant sigma and beta in instead (its default behaviour);
* ``--problem lorenz96``: the 16 equations ``dx{i} = (x{i+1} - x{i-2})*x{i-1} - damping*x{i} +
  forcing`` (indices mod 16) are generated as strings the same way, states ``x0 .. x15``,
  parameters ``forcing`` (F, one per trajectory) and ``damping`` (d), both given per run;
* ``Solver(algorithm="tsit5" | "rk4", step_controller="fixed" | "pi", dt=..., rtol, atol,
  output_types=["state"])`` and ``solve(..., duration=t1)``: with no ``save_every`` cubie saves
  the initial and the final state only; the final one is taken;
* case (b) adds ``"iteration_counters"`` (4 int32 per run: steps, rejections, ...) for the step
  statistics; the fixed-step cases leave it out (``CUBIE_PEER_COUNTERS=1`` adds it there too,
  and with it the step-count check);
* kernel time: CUDA events (``numba_cuda_mlir.cuda.event``) recorded on cubie's own stream
  around each launch inside ``Solver.solve``, with inputs already on the device
  (``solve(d_y0, d_params, on_device=True)``); host-side input handling, sizing and allocation
  are left out, as for the other Numba kernels.  Wall time: ``solve`` on host arrays, results
  copied back.

cubie's generated sources and caches go to a fresh temporary directory (``CUBIE_CACHE_DIR``,
unless set), not to ``./generated``, and its kernel disk cache is off, so every process compiles.
"""

from __future__ import annotations

import importlib.metadata
import os
import tempfile
import time

import numpy as np

from .lorenz_problem import BETA, DTYPE, RHO_MAX, SIGMA, step_stats
from .peer_base import Peer, Unavailable
from .peer_problems import problem_of

STATE_NAMES = ("x", "y", "z")
PARAM_NAMES = ("sigma", "rho", "beta")  # peers.py's column order of params
EQUATIONS = ("dx = sigma*(y - x)", "dy = x*(rho - z) - y", "dz = x*y - beta*z")


def lorenz_spec(defaults=(10.0, 21.0, 8.0 / 3.0)):
    """The Lorenz system for create_ODE_system: names, initial values, default parameters, equations."""
    return {"name": "bench_lorenz", "states": dict(zip(STATE_NAMES, (1.0, 0.0, 0.0))),
            "parameters": {k: float(v) for k, v in zip(PARAM_NAMES, defaults)}, "equations": list(EQUATIONS)}


def lorenz96_spec(y0, forcing=8.0, damping=1.0):
    """Lorenz-96 on a ring of ``len(y0)``: ``dx_i = (x_{i+1} - x_{i-2}) x_{i-1} - d x_i + F`` as strings.

    Parameters in peers.py's column order (F, d), named ``forcing`` and ``damping``."""
    n = len(y0)
    eqs = [f"dx{i} = (x{(i + 1) % n} - x{(i - 2) % n})*x{(i - 1) % n} - damping*x{i} + forcing" for i in range(n)]
    return {"name": f"bench_lorenz96_{n}", "states": {f"x{i}": float(v) for i, v in enumerate(y0)},
            "parameters": {"forcing": float(forcing), "damping": float(damping)}, "equations": eqs}


class CubieUnavailable(Exception):
    """cubie cannot run here: not importable, or the case cannot be put to it."""


def _flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


_STATE = {"cubie": None, "cuda": None, "systems": {}, "solver": None}


def _import():
    if _STATE["cubie"] is None:
        if not os.environ.get("CUBIE_CACHE_DIR"):
            os.environ["CUBIE_CACHE_DIR"] = tempfile.mkdtemp(prefix="cubie-peer-")
        try:
            import cubie
            from cubie._cudasim_extensions import CUDA_SIMULATION, cuda
        except Exception as exc:  # noqa: BLE001
            raise CubieUnavailable(f"not importable ({type(exc).__name__}: {str(exc)[:300]}); on the GPU "
                                   "machine carry .cubie/ (benchmarks/fetch_cubie.sh) and put /tmp/cubie-site "
                                   "first on PYTHONPATH") from exc
        _STATE.update(cubie=cubie, cuda=cuda, simulated=bool(CUDA_SIMULATION))
    return _STATE["cubie"]


def _system(spec, dtype):
    """The SymbolicODE of ``spec`` (:func:`lorenz_spec`, :func:`lorenz96_spec`), built once per process."""
    if spec["name"] not in _STATE["systems"]:
        cubie = _import()
        _STATE["systems"][spec["name"]] = cubie.create_ODE_system(
            dxdt=list(spec["equations"]), states=dict(spec["states"]), parameters=dict(spec["parameters"]),
            precision=dtype, name=spec["name"], swept_parameters=list(spec["parameters"]))
    return _STATE["systems"][spec["name"]]


class CubieAdapter:
    """One case of the benchmark through ``cubie.Solver``; the calls mirror ``peers.Peer``."""

    def __init__(self, t1, dtype=np.float32, defaults=(10.0, 21.0, 8.0 / 3.0), spec=None):
        self.t1 = float(t1)
        self.dtype = np.dtype(dtype).type
        self.spec = spec or lorenz_spec(defaults)
        self.state_names = tuple(self.spec["states"])
        self.param_names = tuple(self.spec["parameters"])  # peers.py's column order of params
        self.dev = None

    # -- setup --------------------------------------------------------------------------------
    def prepare(self, case):
        cubie = _import()
        self.cuda = _STATE["cuda"]
        if case.method not in ("tsit5", "rk4"):
            raise CubieUnavailable(f"no mapping for method {case.method!r}")
        system = _system(self.spec, self.dtype)
        states = tuple(system.states.names)
        params = tuple(system.parameters.names)
        if sorted(states) != sorted(self.state_names) or sorted(params) != sorted(self.param_names):
            raise CubieUnavailable(f"unexpected system layout: states {states}, parameters {params}")
        self.state_rows = [self.state_names.index(s) for s in states]
        self.param_rows = [self.param_names.index(p) for p in params]
        self.fix_constants = _flag("CUBIE_PEER_FIX_CONSTANTS")
        self.counters = case.adaptive or _flag("CUBIE_PEER_COUNTERS")
        outputs = ["state"] + (["iteration_counters"] if self.counters else [])
        settings = {"algorithm": case.method, "dt": case.dt, "output_types": outputs,
                    "time_logging_level": None, "cache_enabled": False}
        if case.adaptive:
            settings.update(step_controller="pi", rtol=case.rtol, atol=case.atol)
        else:
            settings.update(step_controller="fixed")
        old = _STATE.get("solver")
        if old is not None:  # the previous case's solver: free its device buffers
            try:
                old.close()
            except Exception:  # noqa: BLE001
                pass
            _STATE["solver"] = None
        self.solver = cubie.Solver(system, **settings)
        _STATE["solver"] = self.solver
        eff = self.solver.effective
        try:
            fork = importlib.metadata.version("cubie-numba-cuda-mlir")
        except importlib.metadata.PackageNotFoundError:
            fork = "?"
        notes = [f"cubie {getattr(cubie, '__version__', '?')} (cubie-numba-cuda-mlir {fork}) "
                 f"Solver(algorithm={case.method!r}, step_controller={eff.step_controller!r}, dt={eff.dt}, "
                 f"output_types={outputs}), float32, "
                 f"{'simulator' if _STATE['simulated'] else 'numba_cuda_mlir'}; cubie's automatic launch "
                 f"geometry and buffer placement (auto_performance)",
                 f"system {self.spec['name']} from create_ODE_system ({len(self.spec['equations'])} equation "
                 f"strings); parameter rows reordered to cubie's name order {params}; "
                 + ("the constant parameters compiled in (fix_constant_parameters)"
                    if self.fix_constants else "every parameter per run (fix_constant_parameters=False), "
                    "as the other peers"),
                 "final state only: no save_every, cubie saves the initial and the final state "
                 "(output length 2); the final one is compared"]
        if case.adaptive:
            try:
                ctrl = self.solver.kernel.single_integrator._step_controller
                norm = ctrl.norm.compile_settings  # the tolerances the compiled error norm uses
                used = (f"rtol {sorted(set(np.asarray(norm.rtol, dtype=float).ravel().tolist()))}, "
                        f"atol {sorted(set(np.asarray(norm.atol, dtype=float).ravel().tolist()))}")
                bounds = f"dt_min {ctrl.dt_min:g}, dt_max {ctrl.dt_max:g}"
            except Exception as exc:  # noqa: BLE001
                used, bounds = f"not read back ({type(exc).__name__})", "dt/1e3 .. dt*1e3"
            notes.append(f"PI controller, cubie's defaults: accepted steps 0.9 e^(-0.7/k) e_prev^(0.4/k), k = "
                         f"embedded order + 1 = 5, in [0.2, 10]; rejected steps max(0.2, 0.9 e^(-0.7/k)); RMS "
                         f"norm with scale atol + rtol max(|y|, |y_prev|); "
                         f"step bounds {bounds} (cubie: dt/1e3 .. dt*1e3), first step dt; tolerances in "
                         f"the error norm: {used}")
            notes.append("iteration_counters output on: n_steps = accepted steps (steps - rejections)")
        elif self.counters:
            notes.append("iteration_counters output on (CUBIE_PEER_COUNTERS=1): step count checked")
        else:
            notes.append("no iteration_counters output (the lean kernel): step count not checked")
        return {"method": f"cubie.{case.method}/{eff.step_controller}", "notes": notes}

    # -- arrays --------------------------------------------------------------------------------
    def _inputs(self, y0, params):
        """peers.py's (N, n_states) arrays as cubie's (n_states, N) and (n_params, N), float32, C order."""
        inits = np.ascontiguousarray(np.asarray(y0, dtype=self.dtype).T[self.state_rows])
        prm = np.ascontiguousarray(np.asarray(params, dtype=self.dtype).T[self.param_rows])
        return inits, prm

    def _final(self, state):
        """Final state (N, n_states) in peers.py's order from cubie's (time, variable, run) array."""
        state = np.asarray(state)
        last = state[-1]
        out = np.empty((last.shape[1], len(self.state_names)), dtype=self.dtype)
        for row, col in enumerate(self.state_rows):
            out[:, col] = last[row]
        return out

    def _solve(self, inits, prm, **kw):
        return self.solver.solve(inits, prm, duration=self.t1, grid_type="verbatim",
                                 fix_constant_parameters=self.fix_constants, **kw)

    # -- calls ---------------------------------------------------------------------------------
    def full(self, case, y0, params):
        """Host arrays in and out; returns (y (N, 3), accepted steps or None, status codes, extra)."""
        res = self._solve(*self._inputs(y0, params), nan_error_trajectories=False)
        try:
            y = self._final(res.state)
            status = np.array(res.status_codes, dtype=np.int64).ravel()
            steps, extra = None, {}
            if self.counters:
                ic = np.asarray(res.iteration_counters)  # (saves, 4, N): newton, krylov, steps, rejected
                total = ic[-1, 2, :].astype(np.int64)
                rejected = ic[-1, 3, :].astype(np.int64)
                steps = total - rejected
                extra = {"n_rejected_mean": float(rejected.mean()) if rejected.size else None}
        finally:
            closer = getattr(res, "close", None)
            if closer is not None:
                closer()
        return y, steps, status, extra

    def load(self, y0, params):
        inits, prm = self._inputs(y0, params)
        self.dev = (self.cuda.to_device(inits), self.cuda.to_device(prm))
        self.cuda.synchronize()

    def kernel(self, case):
        """One solve on the loaded device arrays; returns (ms, timing method)."""
        wall, held = time_launches(self.cuda, self.solver.kernel, lambda: self._solve(*self.dev, on_device=True))
        if _STATE["simulated"]:
            return wall, "wall of Solver.solve on device arrays (simulator: no CUDA events)"
        if not held:
            return wall, "wall of Solver.solve on device arrays (no launch seen: events not recorded)"
        return events_ms(held), (f"cuda events on cubie's stream around the kernel launch inside Solver.solve "
                                 f"(BatchSolverKernel._configured_launch, {len(held)} launch(es)), device arrays "
                                 "in, results left on the device")

    def unload(self):
        self.dev = None


def time_launches(cuda, kern, solve):
    """Run ``solve()`` with CUDA events recorded around each launch of cubie's kernel ``kern`` inside it.

    Wraps ``kern._configured_launch`` on this instance only, for the call.  Returns the call's wall
    time in ms and the ``(start, end)`` event pairs (empty when no launch was seen).
    """
    original = type(kern)._configured_launch
    held = []

    def configured(blocks, threads, stream, dynamic_sharedmem):
        launch = original(kern, blocks, threads, stream, dynamic_sharedmem)

        def timed(*args):
            start, end = cuda.event(), cuda.event()
            start.record(stream)
            launch(*args)
            end.record(stream)
            held.append((start, end))

        return timed

    kern._configured_launch = configured
    t = time.perf_counter()
    try:
        solve()
        kern.synchronize()
    finally:
        del kern._configured_launch
    return (time.perf_counter() - t) * 1e3, held


def events_ms(held):
    """Summed GPU ms of the event pairs of :func:`time_launches`."""
    for _, end in held:
        end.synchronize()
    return sum(start.elapsed_time(end) for start, end in held)


class CubiePeer(Peer):
    """cubie 0.17.0 through ``cubie.Solver``: the adapter is CubieAdapter above."""

    name = "cubie"

    def prepare(self, case):
        problem = problem_of(self.args)
        if problem.name == "lorenz":
            spec = lorenz_spec((SIGMA, RHO_MAX, BETA))
        elif problem.name == "lorenz96":
            spec = lorenz96_spec(problem.floor.y0, *problem.floor.base_params)
        else:
            raise Unavailable(f"no cubie equations for problem {problem.name!r}")
        self.impl = CubieAdapter(self.args.t1, DTYPE, spec=spec)
        try:
            out = self.impl.prepare(case)
        except CubieUnavailable as exc:
            raise Unavailable(str(exc)) from exc
        if problem.name != "lorenz":
            out["notes"].append(f"{problem.name}: params (F, d) as cubie's (forcing, damping); {problem.varying()}")
        return out

    def full(self, case, y0, params):
        y, steps, status, extra = self.impl.full(case, y0, params)
        if steps is not None:
            extra = {**step_stats(steps, status), **extra}
        else:
            codes, counts = np.unique(status, return_counts=True)
            extra = {"status_counts": {str(int(c)): int(k) for c, k in zip(codes, counts)}, **extra}
        return y, extra

    def load(self, case, y0, params):
        self.impl.load(y0, params)

    def kernel(self, case):
        return self.impl.kernel(case)

    def unload(self):
        if getattr(self, "impl", None) is not None:
            self.impl.unload()
        super().unload()
