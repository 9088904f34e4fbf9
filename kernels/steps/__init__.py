"""Method families: one generic step builder per family, each reading its tableaus.

A family module (``erk.py``, ...) holds the family's ``*StepSettings`` (its
buffers) and its ``build_*_step`` factory; the contract they follow is in
:mod:`kernels.steps.base`.  :data:`FAMILIES` maps a family name (the one in
:data:`kernels.methods.METHODS`) to its settings class and builder;
:func:`explicit_family` says whether a family is explicit (its settings
class's ``explicit``, host item 8 of :mod:`kernels.steps.base`).
"""

from __future__ import annotations

import types

from .base import STEP_OK, BuiltStep
from .dirk import DIRKStepSettings, build_dirk_step
from .erk import ERKStepSettings, build_erk_step
from .firk import FIRKStepSettings, build_firk_step
from .rosenbrock import RosenbrockStepSettings, build_rosenbrock_step

__all__ = ["STEP_OK", "BuiltStep", "FAMILIES", "explicit_family", "ERKStepSettings", "build_erk_step",
           "DIRKStepSettings", "build_dirk_step", "FIRKStepSettings", "build_firk_step", "RosenbrockStepSettings",
           "build_rosenbrock_step"]

FAMILIES = types.MappingProxyType({
    "erk": (ERKStepSettings, build_erk_step),
    "dirk": (DIRKStepSettings, build_dirk_step),
    "rosenbrock": (RosenbrockStepSettings, build_rosenbrock_step),
    "firk": (FIRKStepSettings, build_firk_step),
})


def explicit_family(family) -> bool:
    """Whether the step family called ``family`` (a key of :data:`FAMILIES`) is explicit.

    Read from its settings class (``explicit``, False where the class does not
    set it), not from the family's name, so that a new explicit family (one
    subclassing ERKStepSettings) gets the checks meant for explicit methods.
    """
    return bool(getattr(FAMILIES[family][0], "explicit", False))
