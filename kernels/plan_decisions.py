"""``plan="auto"``'s decision kept on disk, so that a repeated run skips the compiler's rounds (issue #14).

``Integrator.plan("auto")`` solves a CP-SAT placement, then compiles one to four candidate kernels
(:mod:`kernels.compiler_loop`).  The Plan it keeps, with its ``CostRecord``, is stored as an entry of kind
``"plan"`` of the Integrator's :class:`kernels.CompileCache` (same folder, atomic writes and checksums), so a
new process with the same inputs pays the lookup and one plan check: no CP-SAT, no compiler rounds.  The kept
kernel is then built by the solve as for any plan (NVVM's PTX from the compile cache).

The key (:meth:`PlanDecisions.key`) covers the planning problem ``with_compiler`` builds (buffers, sizes,
lifetimes, weights, device model, block size, objective), the choice, the pins, the register cap, the compute
capability, what the kernels depend on that the problem does not show (the system's functions and sizes, the
method and its tableau, the controller, the solver options, summaries, events and every other loop setting, the
precision), a digest of the library's ``.py`` files under ``kernels/`` and ``planner/`` (once per
:class:`PlanDecisions`), and the tool versions (``CompileCache.versions("plan")``: Python, NumPy, Numba,
numba-cuda, llvmlite, NVVM and libdevice, ptxas, the driver).

A function is identified by its bytecode, constants, names and defaults, the module globals, closure values and
module attributes (``cfg.K``) it reads (numbers and arrays by value, functions the same way, recursively; modules
and the functions of NumPy, Numba, math and Python by name), and a dispatcher's options.  Not covered: a change
inside a third-party module a function calls (only its name is read; the version is in the key for NumPy and
Numba only), and line numbers.  A function that reads an object of another kind (a class instance) is not
identified: its Integrator keeps no decision and plans as usual.

Why a stale decision is safe: any verified Plan is a correct layout, so a decision made for other inputs can
only cost speed, never correctness.  Still, a stored Plan is parsed and checked against the current buffer
settings (:func:`kernels.planning.check_plan`, pins included) before it is used; a parse error, a checksum
failure or a mismatch is a miss, planned as usual and overwritten.  A cache that cannot be read or written only
costs the planning time.  On the simulator (nothing compiled) nothing is stored.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import os
import types

import numpy as np

import planner

from .backend import backend
from .errors import ConfigurationError
from .frozen_values import values_read
from .planning import check_plan

__all__ = ["HIT_NOTE", "PlanDecisions", "decided", "library_digest", "identity"]

#: Appended to a decision's ``cost.note`` when it was read back from the cache.
HIT_NOTE = "decided in an earlier run (plan decision cache)"
_BY_NAME = ("numpy", "numba", "llvmlite", "math", "cmath", "builtins", "operator")  # versioned: named only
_SYSTEM = ("rhs", "observables", "jac", "jvp", "n_states", "n_params", "n_observables", "n_drivers", "literals",
           "param_names")  # what an ODESystem compiles from


class _Unidentified(ConfigurationError):
    """An object this module cannot identify (it stays here: that Integrator keeps no decision)."""


def library_digest():
    """SHA-256 of the ``.py`` files of ``kernels/`` and ``planner/`` (names and contents, subfolders included)."""
    digest = hashlib.sha256()
    for package in (os.path.dirname(os.path.abspath(__file__)), os.path.dirname(os.path.abspath(planner.__file__))):
        found = []
        for folder, subfolders, names in os.walk(package):
            subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
            found += [os.path.join(folder, name) for name in names if name.endswith(".py")]
        for path in sorted(found):
            with open(path, "rb") as fh:
                data, name = fh.read(), os.path.relpath(path, os.path.dirname(package)).replace(os.sep, "/").encode()
            digest.update(len(name).to_bytes(8, "little") + name + len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def identity(value, seen=None):
    """``value`` as JSON-able data, equal in any process for values the compiled code cannot tell apart.

    Numbers, strings, arrays (dtype, shape, bytes), dtypes, enums, classes, modules, dataclasses (the fields in
    their equality: not a memo), containers, ODESystems and functions (the module docstring) are identified; any
    other object raises a ConfigurationError that stays in this module (the decision is then not kept).
    """
    from .systems import ODESystem

    seen = set() if seen is None else seen
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, complex, np.number, np.bool_)):
        return [type(value).__name__, repr(value)]
    if isinstance(value, (bytes, bytearray)):
        return ["bytes", bytes(value).hex()]
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return ["array", data.dtype.str, list(data.shape), hashlib.sha256(data.tobytes()).hexdigest()]
    if isinstance(value, np.dtype):
        return ["dtype", value.str]
    if isinstance(value, type):
        return ["type", _qualname(value)]
    if isinstance(value, types.ModuleType) or value is Ellipsis:
        return ["module", value.__name__] if value is not Ellipsis else ["ellipsis"]
    if isinstance(value, enum.Enum):
        return ["enum", _qualname(type(value)), identity(value.value, seen)]
    if dataclasses.is_dataclass(value):
        return ["dataclass", _qualname(type(value)),
                [[f.name, identity(getattr(value, f.name), seen)] for f in dataclasses.fields(value) if f.compare]]
    if isinstance(value, (tuple, list)):
        return [type(value).__name__, [identity(v, seen) for v in value]]
    if isinstance(value, dict):
        return ["dict", sorted(([identity(k, seen), identity(v, seen)] for k, v in value.items()), key=_text)]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted((identity(v, seen) for v in value), key=_text)]
    if isinstance(value, ODESystem):
        return ["system", [[name, identity(getattr(value, name), seen)] for name in _SYSTEM]]
    return _function(value, seen)


def _function(func, seen):
    """A function's identity: its code and what it reads (:func:`identity` for the rest)."""
    python = getattr(func, "py_func", func)
    if isinstance(python, (types.BuiltinFunctionType, np.ufunc)) or (
            callable(python) and (getattr(python, "__module__", None) or "").split(".")[0] in _BY_NAME):
        return ["named", getattr(python, "__module__", None), getattr(python, "__qualname__", repr(python))]
    if not isinstance(python, types.FunctionType):
        raise _Unidentified(f"cannot identify {type(func).__name__}")
    if id(python) in seen:  # a recursion (f reads g reads f): its code is described once
        return ["again", python.__qualname__]
    seen.add(id(python))
    reads = sorted(([kind, name, identity(v, seen)] for (kind, name), v in values_read(python).items()), key=_text)
    options = getattr(func, "targetoptions", None)
    return ["function", type(func).__name__, _code(python.__code__, seen), reads,
            identity(python.__defaults__, seen), identity(python.__kwdefaults__, seen),
            None if options is None else identity(dict(options), seen)]


def _code(code, seen):
    """A code object without its file name and line numbers."""
    consts = [_code(c, seen) if isinstance(c, types.CodeType) else identity(c, seen) for c in code.co_consts]
    return [code.co_name, code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags,
            code.co_code.hex(), list(code.co_names), list(code.co_varnames), list(code.co_freevars),
            list(code.co_cellvars), consts]


def _qualname(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _text(data):
    return json.dumps(data, sort_keys=True)


class PlanDecisions:
    """The ``auto`` decisions kept in one :class:`kernels.CompileCache` (its attribute ``decisions``).

    Parameters
    ----------
    cache : kernels.CompileCache
    code_digest : str, optional
        The library code's digest in the key; default :func:`library_digest`, computed on first use.
    """

    def __init__(self, cache, code_digest=None):
        self.cache = cache
        self._code_digest = code_digest

    @property
    def code_digest(self) -> str:
        if self._code_digest is None:
            self._code_digest = library_digest()
        return self._code_digest

    def key(self, integrator, problem, pins):
        """The hex key of ``integrator``'s ``auto`` decision for ``problem`` (with_compiler's) and ``pins``, or
        None where a function it compiles cannot be identified."""
        try:
            compiled = identity([integrator.system, integrator.method, integrator.controller, integrator.solver,
                                 integrator.settings, np.dtype(integrator.dtype)])
        except _Unidentified:
            return None
        chosen = identity(["auto", list((pins or {}).items()), integrator.max_registers,
                           list(problem.device.compute_capability)])
        return self.cache.key("plan", self.code_digest, problem.canonical_json(), _text(compiled), _text(chosen))

    def load(self, key, integrator, block_size, device, pins):
        """The Plan stored under ``key``, checked against ``integrator``'s buffers, its note marked; else None
        (an entry that no longer checks counts as a miss and an error of the cache, and is removed)."""
        def checked(payload):
            plan = planner.Plan.from_json(json.loads(payload.decode()))
            if plan.block_size != block_size or plan.cost is None or plan.cost.measured is None:
                raise ConfigurationError("not a decision of this block size, or not one the compiler measured")
            check_plan(plan, integrator.buffer_settings(pins), integrator.dtype, block_size, device,
                       f"{integrator.system.name}, method {integrator.method.name!r}")
            cost = dataclasses.replace(plan.cost, note=f"{plan.cost.note}; {HIT_NOTE}" if plan.cost.note else HIT_NOTE)
            return dataclasses.replace(plan, cost=cost)

        return self.cache.load("plan", key, checked)

    def store(self, key, plan):
        """Keep ``plan`` under ``key`` when the compiler measured it (a simulator's or a failed compile's is not)."""
        if plan.cost is not None and plan.cost.measured is not None:
            self.cache.store("plan", key, json.dumps(plan.to_json(), sort_keys=True).encode())

    def plan(self, integrator, block_size, device, pins, planned):
        """The stored decision for these inputs, else ``planned()`` (stored for the next run)."""
        try:
            problem = integrator.buffer_settings(pins).to_problem(
                precision=np.dtype(integrator.dtype).name, block_size=block_size, objective="auto", device=device)
            key = self.key(integrator, problem, pins)
        except Exception:  # noqa: BLE001 - the cache must never stop a plan (tools missing for the versions)
            self.cache.count_error()
            key = None
        found = None if key is None else self.load(key, integrator, block_size, device, pins)
        if found is not None:
            return found
        plan = planned()
        if key is not None:
            self.store(key, plan)
        return plan


def decided(integrator, choice, block_size, device, pins, planned):
    """``Integrator.plan``'s ``planned()`` (the CP-SAT solve and the compiler loop), through the decision cache
    for ``choice == "auto"`` on the CUDA target with a compile cache; as it is otherwise."""
    cache = integrator.compile_cache
    if choice != "auto" or cache is None or backend() != "cuda":
        return planned()
    return cache.decisions.plan(integrator, block_size, device, pins, planned)
