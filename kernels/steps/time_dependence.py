"""Whether a system's right-hand side can depend on time: what steps specialise on.

A Rosenbrock step drops its ``f_t`` difference for an autonomous system
(:mod:`kernels.steps.rosenbrock`); a DIRK step takes SDIRK2's and SDIRK4's
step-start forms only where the rhs can switch in time
(:mod:`kernels.steps.dirk`).  One test, shared by both families.
"""

from __future__ import annotations

import dis

__all__ = ["reads_time"]


def reads_time(system) -> bool:
    """Whether the right-hand side of ``system`` can depend on ``t``: drivers, or a rhs that reads ``t``.

    The rhs's bytecode is searched for any use of its first argument (a
    closure over it counts); a rhs without Python bytecode counts as reading it.
    """
    if system.n_drivers:
        return True
    code = getattr(system.rhs, "__code__", None)
    if code is None or code.co_argcount < 1:
        return True
    name = code.co_varnames[0]
    if name in code.co_cellvars:
        return True
    for ins in dis.get_instructions(code):
        value = ins.argval
        if value == name or (isinstance(value, tuple) and name in value):
            return True
    return False
