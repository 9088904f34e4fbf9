"""bufferplan's planner: per-thread GPU buffers in, a verified memory layout out.

The planner needs neither a GPU nor Numba.
"""

from .csvio import load_plan, load_problem
from .buffers import STORAGE_FORMS, Buffer, Location, PhaseSpan, Placement
from .device import PRESETS, DeviceModel, Occupancy, get_device
from .explain import explain
from .errors import (BufferplanError, ConfigurationError, InfeasibleError, KeywordError, LocalMemoryError, PlanError,
                     PlannerError)
from .interference import interference_graph, live_peak
from .plan import Plan, PlannedBuffer, Provenance
from .problem import PlanningProblem, pad_stride
from .settings import BufferSettings, ComponentLayout, LocalSizes, Phase, SliceIndices
from .solve import PLANNERS, solve
from .views import ViewWindow

__all__ = [
    "Buffer", "BufferSettings", "ComponentLayout", "ConfigurationError", "DeviceModel", "InfeasibleError",
    "LocalMemoryError", "LocalSizes", "Location", "PLANNERS", "PRESETS", "Phase", "Placement", "Plan", "PlanError",
    "PlannedBuffer", "PlannerError", "PlanningProblem", "Provenance", "STORAGE_FORMS", "SliceIndices", "get_device",
    "interference_graph", "live_peak", "pad_stride", "solve", "PhaseSpan", "BufferplanError", "Occupancy", "explain",
    "load_plan", "load_problem", "ViewWindow", "KeywordError",
]
