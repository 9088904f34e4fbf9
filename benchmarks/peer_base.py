"""The peer contract of ``benchmarks.peers`` and the registry of peer adapters (one module each)."""

from __future__ import annotations

import gc
import importlib

__all__ = ["Unavailable", "Peer", "HandWrittenPeer", "PEER_NAMES", "make_peer"]


class Unavailable(Exception):
    """The peer cannot run here (missing package, no GPU, no API); the run records why and goes on."""


class Peer:
    """One system under test: ``prepare`` once per case, then per N ``full``, ``load``, ``kernel`` and ``unload``."""

    name = ""

    def __init__(self, args):
        self.args = args

    def prepare(self, case):
        """Check the peer can run ``case``; return ``{"method": ..., "notes": [...]}`` or raise Unavailable."""
        raise NotImplementedError

    def full(self, case, y0, params):
        """The whole call, host arrays in and out; return ``(y_final (N, n_states), extra dict)``."""
        raise NotImplementedError

    def load(self, case, y0, params):
        """Put the inputs on the GPU for ``kernel``."""

    def kernel(self, case):
        """One timed run on the loaded inputs; return ``(ms, timing method)``."""
        raise NotImplementedError

    def unload(self):
        gc.collect()


class HandWrittenPeer(Peer):
    """A peer whose kernel is launched here: ``load`` sets ``self.dev`` (the arguments after ``case``
    of ``self._launch``), and ``kernel`` times one launch with CUDA events."""

    dev = None

    def _launch(self, case, *dev):
        raise NotImplementedError

    def kernel(self, case):
        from . import timing

        t = timing.time_gpu(lambda: self._launch(case, *self.dev), repeats=1, warmup=0)
        return t.median_ms, t.method + " around the launch"

    def cupti(self, case):
        from . import timing

        return timing.cupti_kernel_ms(lambda: self._launch(case, *self.dev))

    def unload(self):
        self.dev = None
        super().unload()


# peer name -> (module of benchmarks, class); bufferplan-<plan> takes any plan choice
_ADAPTERS = {"reference": ("peer_reference", "ReferencePeer"), "floor": ("peer_floor", "FloorPeer"),
             "diffrax": ("peer_diffrax", "DiffraxPeer"), "torchdiffeq": ("peer_torchdiffeq", "TorchdiffeqPeer"),
             "cubie": ("peer_cubie", "CubiePeer")}
PEER_NAMES = ("reference", "floor", "bufferplan-auto", "bufferplan-local", "diffrax", "torchdiffeq", "cubie")


def make_peer(name, args):
    """The adapter of peer ``name`` (its module is imported here, so a missing one only costs that peer)."""
    if name.startswith("bufferplan-"):
        from .peer_bufferplan import BufferplanPeer

        return BufferplanPeer(args, name.split("-", 1)[1])
    if name == "reference" and (getattr(args, "problem", None) or "lorenz") != "lorenz":
        module, cls = "peer_handwritten", "HandwrittenSystemPeer"  # the problem's hand-written kernels
    else:
        module, cls = _ADAPTERS[name]
    return getattr(importlib.import_module(f"{__package__}.{module}"), cls)(args)
