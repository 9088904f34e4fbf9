"""An on-disk cache of the slow stages of a kernel's compile: NVVM's PTX, the linker's cubin, ptxas's counts.

A large implicit kernel spends most of its compile in two tools that are pure
functions of their inputs: NVVM turns LLVM IR into PTX (10 to 20 s for a
128-state Rosenbrock or Radau kernel) and the linker turns PTX into a cubin
(5 to 13 s).  Each result is stored under the SHA-256 of its exact inputs
(the IR or PTX text, every option, the register cap, the compute capability)
and of the versions of the tools that made it, so a hit returns what the
compiler would return, never a stale result: another system, plan, method,
constant, Numba or CUDA version is another key.  Numba's typing and lowering,
which produce the IR, still run on every compile.  Without a driver
(``NUMBA_ENABLE_CUDASIM=0`` on a machine with no GPU) the same cache keeps
NVVM's PTX and the ``ptxas -v`` counts that :meth:`BatchKernel.resources` and
``plan="auto"`` read.  Entries of kind ``plan`` keep ``plan="auto"``'s decisions
(the Plan the compiler loop kept), so a repeated run skips its compile rounds
(:mod:`kernels.plan_decisions`, through :attr:`CompileCache.decisions`).

The hooks are two thin wrappers, installed once, around Numba's
``nvvm.compile_ir`` and ``CUDACodeLibrary.get_cubin`` (numba-cuda 0.30): they
consult the cache only inside :meth:`CompileCache.active`, which the batch
kernel enters around its compiles, and otherwise call through unchanged.

Files are written atomically (a temporary file renamed into place) with a
checksum; an unreadable, truncated or corrupt entry is a miss and is
rewritten, and a cache that cannot be written only costs the compile time.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import importlib.metadata
import os
import re
import sys
import tempfile
import threading
import warnings

import numpy as np

from .backend import backend
from .errors import BufferplanError, ConfigurationError

__all__ = ["CompileCache", "ENV_VAR", "OFF_WORDS", "DEFAULT_MAX_BYTES", "as_compile_cache", "default_directory",
           "using", "active_cache", "cached_ptxas"]

ENV_VAR = "BUFFERPLAN_COMPILE_CACHE"
DEFAULT_MAX_BYTES = 2 * 1024 ** 3
_MAGIC = b"BPCC2\n"  # 2: the checksum covers the entry's key too (a file copied under another key is a miss)
#: The words that turn a switch off (BUFFERPLAN_COMPILE_CACHE, BUFFERPLAN_FOLD_IR); for the cache an empty value too.
OFF_WORDS = ("0", "off", "false", "no", "none")
_OFF = ("",) + OFF_WORDS
_ON = ("1", "on", "true", "yes", "default")  # the default folder: "1" named a folder "1" in the working directory
_KINDS = ("ptx", "cubin", "ptxas", "plan")  # plan: plan="auto"'s decisions (kernels.plan_decisions)
# an entry's file name; nothing else in the folder is the cache's (its own *.bin files were counted and deleted
# by clear() and the size trim: a user's 'simulation_output.bin' in a cache pointed at a project folder)
_ENTRY = re.compile(r"(%s)-[0-9a-f]{64}\.bin" % "|".join(_KINDS))
_ACTIVE = contextvars.ContextVar("bufferplan_compile_cache", default=None)
_install_lock = threading.Lock()
_installed = []


def default_directory():
    """Where the default cache lives: ``$XDG_CACHE_HOME/bufferplan/kernels``, else ``~/.cache/bufferplan/kernels``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG specification: a relative value is ignored (it was the working directory's)
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "bufferplan", "kernels")


class CompileCache:
    """Compiled PTX, cubins and ptxas counts on disk, keyed by their exact inputs and tool versions.

    Parameters
    ----------
    directory : str or os.PathLike
        Created on first write.  Several processes (Dask workers) may share it.
    max_bytes : int
        When a write takes the folder past this size, the least recently used
        entries are deleted until it is at 90 % of it.

    Attributes
    ----------
    stats : dict
        Hits and misses per kind (``ptx``, ``cubin``, ``ptxas``, and ``plan``: ``plan="auto"``'s decisions,
        :mod:`kernels.plan_decisions`) in this process, and ``errors`` (entries that could not be read, written
        or used).
    decisions : kernels.plan_decisions.PlanDecisions
        ``plan="auto"``'s decisions kept in this folder (made on first use; assign one to replace it).

    Examples
    --------
    >>> import tempfile, kernels
    >>> cache = kernels.CompileCache(tempfile.mkdtemp())
    >>> integ = kernels.Integrator(kernels.lorenz(), "tsit5", compile_cache=cache)
    >>> integ.compile_cache is cache
    True
    """

    def __init__(self, directory, max_bytes=DEFAULT_MAX_BYTES):
        _check_folder(directory, "CompileCache directory")
        if isinstance(max_bytes, (bool, np.bool_)) or not isinstance(max_bytes, (int, np.integer)) or max_bytes < 1:
            raise ConfigurationError(f"CompileCache max_bytes: expected a positive integer, got {max_bytes!r}")
        max_bytes = int(max_bytes)  # a NumPy integer too (10**9 as np.int64 was refused)
        # "~" is the user's home, as in a shell (it made a folder named "~" under the working directory)
        self.directory = os.path.abspath(os.path.expanduser(os.fspath(directory)))
        self.max_bytes = max_bytes
        self.stats = {"ptx_hits": 0, "ptx_misses": 0, "cubin_hits": 0, "cubin_misses": 0,
                      "ptxas_hits": 0, "ptxas_misses": 0, "plan_hits": 0, "plan_misses": 0, "errors": 0}
        self._lock = threading.Lock()
        self._versions = {}
        self._warned = False
        self._decisions = None

    def __repr__(self):
        return f"CompileCache({self.directory!r})"

    def __eq__(self, other):
        return isinstance(other, CompileCache) and (self.directory, self.max_bytes) == (other.directory, other.max_bytes)

    def __hash__(self):
        return hash((CompileCache, self.directory, self.max_bytes))

    # -- entries -----------------------------------------------------------------------------------------------
    def key(self, kind, *parts):
        """The hex key of ``kind`` over ``parts`` (str or bytes) and the tool versions of that kind."""
        digest = hashlib.sha256(kind.encode() + b"\0" + self.versions(kind).encode())
        for part in parts:
            data = part.encode() if isinstance(part, str) else bytes(part)
            digest.update(len(data).to_bytes(8, "little") + data)
        return digest.hexdigest()

    def _path(self, kind, key):
        return os.path.join(self.directory, f"{kind}-{key}.bin")

    def load(self, kind, key, accept=None):
        """The bytes stored under ``key``, or ``accept(bytes)`` where given, counted as a hit; else None (a miss).

        An entry that does not check, or that ``accept`` refuses (returns None or raises one of ``ValueError``,
        ``TypeError``, ``KeyError``, ``AttributeError`` or a library error: a stored plan that no longer verifies),
        counts as an error and a miss, not a hit, and is removed.
        """
        path = self._path(kind, key)
        try:
            with open(path, "rb") as fh:
                blob = fh.read()
        except FileNotFoundError:
            self._count(f"{kind}_misses")
            return None
        except OSError:
            self._count("errors", f"{kind}_misses")
            return None
        head = len(_MAGIC) + 32
        payload = blob[head:]
        value = None
        if blob[:len(_MAGIC)] == _MAGIC and _checksum(key, payload) == blob[len(_MAGIC):head]:
            try:
                value = payload if accept is None else accept(payload)
            except (BufferplanError, ValueError, TypeError, KeyError, AttributeError):
                value = None
        if value is None:
            self._count("errors", f"{kind}_misses")
            with contextlib.suppress(OSError):
                os.remove(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # least recently used goes first
        self._count(f"{kind}_hits")
        return value

    def count_error(self):
        """Count a failure of the cache that no entry stands for (a key that could not be made)."""
        self._count("errors")

    @property
    def decisions(self):
        """``plan="auto"``'s decisions kept in this cache (:class:`kernels.plan_decisions.PlanDecisions`)."""
        if self._decisions is None:
            from .plan_decisions import PlanDecisions

            self._decisions = PlanDecisions(self)
        return self._decisions

    @decisions.setter
    def decisions(self, value):
        self._decisions = value

    def store(self, kind, key, payload):
        """Write ``payload`` under ``key`` (atomically); errors only count and warn once."""
        payload = bytes(payload)
        try:
            os.makedirs(self.directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(_MAGIC + _checksum(key, payload) + payload)
                os.replace(tmp, self._path(kind, key))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.remove(tmp)
                raise
            self._trim()
        except OSError as exc:
            self._count("errors")
            if not self._warned:
                self._warned = True
                if os.path.exists(self.directory) and not os.path.isdir(self.directory):
                    exc = "it is a file, not a folder"
                if os.path.islink(self.directory) and not os.path.exists(self.directory):
                    exc = "it is a link to nothing"
                warnings.warn(f"the compile cache at {self.directory} cannot be written ({exc}); kernels compile "
                              f"in full each time. Give a writable folder (compile_cache= or {ENV_VAR}), or "
                              "turn the cache off (compile_cache=None, or 'off').", RuntimeWarning, stacklevel=2)

    def entries(self):
        """``[(path, bytes, mtime)]`` of the stored entries (files named as entries; nothing else in the folder)."""
        found = []
        try:
            names = os.listdir(self.directory)
        except OSError:
            return found
        for name in names:
            if _ENTRY.fullmatch(name):
                path = os.path.join(self.directory, name)
                with contextlib.suppress(OSError):
                    st = os.stat(path)
                    found.append((path, st.st_size, st.st_mtime))
        return found

    def size_bytes(self) -> int:
        """Bytes the stored entries take."""
        return sum(size for _, size, _ in self.entries())

    def clear(self):
        """Delete every stored entry (not the folder, nor any other file in it)."""
        for path, _, _ in self.entries():
            with contextlib.suppress(OSError):
                os.remove(path)

    def _trim(self):
        entries = self.entries()
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes:
            return
        for path, size, _ in sorted(entries, key=lambda e: e[2]):
            with contextlib.suppress(OSError):
                os.remove(path)
                total -= size
            if total <= 0.9 * self.max_bytes:
                break

    def through(self, kind, parts, compute, decode=None, encode=None):
        """``compute()``, or the value an earlier call with the same ``kind`` and ``parts`` stored.

        ``decode`` turns stored bytes back into the value (None from it: compute again), ``encode`` the
        value into bytes (None from it: not stored); both default to the bytes themselves.  A failure of
        the cache itself (a key, a read, a decoding) counts an error and only costs the computation.
        """
        try:
            key = self.key(kind, *parts)
            value = self.load(kind, key, decode)
        except Exception:  # noqa: BLE001 - the cache must never stop a compile
            self._count("errors")
            return compute()
        if value is not None:
            return value
        value = compute()
        data = value if encode is None else encode(value)
        if data is not None:
            self.store(kind, key, data)
        return value

    def _count(self, *names):
        with self._lock:
            for name in names:
                self.stats[name] += 1

    # -- versions ----------------------------------------------------------------------------------------------
    def versions(self, kind):
        """The tool versions a result of ``kind`` depends on, as text (computed once per cache object)."""
        if kind not in self._versions:
            self._versions[kind] = _tool_versions(kind)
        return self._versions[kind]

    # -- use -----------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def active(self):
        """Within this block, Numba's NVVM and linker calls (in this thread or task) use this cache.

        On Numba's simulator, which compiles nothing, the block does nothing.
        """
        if backend() != "cuda":
            yield self
            return
        _install_hooks()
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)


def _checksum(key, payload):
    """The entry's checksum, bound to its key: an entry copied (or synced) under another key's name was served
    as that key's (a user's trial: Lorenz's kernel built from another system's PTX, 'ptx_hits: 1')."""
    return hashlib.sha256(key.encode() + b"\0" + payload).digest()


def _check_folder(path, what, off="None"):
    """Refuse ``path`` (the cache's folder) when it is not a path, is blank, or names an existing file; ``off``:
    how ``what`` turns the cache off."""
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not isinstance(text, str) or not text.strip():
        raise ConfigurationError(f"{what}: expected a folder path, got {path!r}")
    text = os.path.expanduser(text)
    if os.path.exists(text) and not os.path.isdir(text):
        raise ConfigurationError(f"{what}: {text!r} is a file, not a folder; give a folder (created if missing), "
                                 f"or {off} to compile without a cache")


def as_compile_cache(value, what="compile_cache"):
    """``value`` as a CompileCache or None: ``"default"`` or True (the folder of ``$BUFFERPLAN_COMPILE_CACHE``,
    else :func:`default_directory`; ``off`` there disables it), None, False or ``"off"`` (no cache: the
    words that turn the environment variable off, ``off``, ``none``, ``no``, ``false``, ``0``, do here too, and
    ``on``, ``yes``, ``true``, ``1`` mean the default), a folder path (a ``pathlib.Path`` is always one), or a
    CompileCache."""
    if isinstance(value, CompileCache) or value is None:
        return value
    word = value.strip().lower() if isinstance(value, str) else None
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and value in (0, 1):
        value = bool(value)  # 0 and 1 as the environment variable reads them
    if value is False or (word and word in _OFF):
        return None
    if value is True or word in _ON:
        setting = os.environ.get(ENV_VAR)
        if setting is None or setting.strip().lower() in _ON:
            return CompileCache(default_directory())
        if setting.strip().lower() in _OFF:
            return None
        _check_folder(setting, f"${ENV_VAR}", "'off'")
        return CompileCache(setting)
    if isinstance(value, (str, os.PathLike)) and os.fspath(value):
        _check_folder(value, what)
        return CompileCache(value)
    raise ConfigurationError(f"{what}: expected 'default', None (or 'off'), a folder path or a kernels.CompileCache; "
                             f"got {value!r}")


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _tool_versions(kind):
    parts = [f"numba-cuda {_version('numba-cuda')}", f"llvmlite {_version('llvmlite')}"]
    if kind == "ptx":
        from numba.cuda.cudadrv import nvvm

        lib = nvvm.NVVM()
        parts.append(f"nvvm {lib.get_version()} ir {lib.get_ir_version()}")
        parts.append("libdevice " + hashlib.sha256(bytes(nvvm.LibDevice().get())).hexdigest())
    elif kind == "cubin":
        from cuda.bindings import driver

        err, version = driver.cuDriverGetVersion()
        parts.append(f"driver {version if int(err) == 0 else '-'}")
        parts.append(f"cuda-core {_version('cuda-core')} cuda-bindings {_version('cuda-bindings')}")
        parts.append(f"nvjitlink {_version('nvidia-nvjitlink')} {_version('nvidia-nvjitlink-cu12')}")
    elif kind == "ptxas":
        from .resources import ptxas_path

        path = ptxas_path()
        with open(path, "rb") as fh:
            parts.append("ptxas " + hashlib.sha256(fh.read()).hexdigest())
    elif kind == "plan":  # what the compiler's figures, and the typing of a user's functions, depend on
        parts = [f"python {sys.version}", f"numpy {np.__version__}", f"numba {_version('numba')}",
                 _tool_versions("ptx")]
        for other in ("ptxas", "cubin"):  # offline: no driver; on a GPU the driver counts (no ptxas needed)
            try:
                parts.append(_tool_versions(other))
            except Exception:  # noqa: BLE001 - a tool that is missing is a version too
                parts.append(f"{other} -")
    return "; ".join(parts)


# -- the hooks -------------------------------------------------------------------------------------------------
def _install_hooks():
    """Wrap Numba's NVVM entry and the code library's cubin link, once per process."""
    if _installed:
        return
    with _install_lock:
        if _installed:
            return
        from numba.cuda import codegen
        from numba.cuda.cudadrv import nvvm

        original_nvvm = nvvm.compile_ir
        original_cubin = codegen.CUDACodeLibrary.get_cubin

        def compile_ir(llvmir, **options):
            cache = _ACTIVE.get()
            if cache is None:
                return original_nvvm(llvmir, **options)
            # Numba links the modules in an order that varies from run to run (set iteration); the program is
            # the same, so the key takes them sorted
            irs = [llvmir] if isinstance(llvmir, str) else sorted(llvmir)
            return cache.through("ptx", (repr(sorted(options.items())), *irs),
                                 lambda: original_nvvm(llvmir, **options))

        def get_cubin(self, cc=None):
            cache = _ACTIVE.get()
            if cache is None or self._linking_files or self.needs_cudadevrt:
                return original_cubin(self, cc)
            cc = self._ensure_cc(cc)
            known = self._cubin_cache.get(cc)
            if known:
                return known
            # what the linker reads: NVVM's (cached) PTX, or its LTO-IR when the link optimises (numba-cuda's
            # default with nvJitLink); a compile error surfaces here as usual
            inputs = [self.get_ltoir(cc=cc)] if self._lto else self.get_asm_strs(cc=cc)

            def stored(data):  # a cubin read back: kept where Numba's own link would have put it
                from cuda.core import ObjectCode

                cubin = ObjectCode.from_cubin(data, name=self.name)
                self._cubin_cache[cc] = cubin
                self._linkerinfo_cache[cc] = ""
                return cubin

            def code(cubin):
                data = getattr(cubin, "code", cubin)
                return data if isinstance(data, (bytes, bytearray, memoryview)) else None

            return cache.through("cubin", (repr((tuple(cc), self._max_registers, bool(self._lto))), *inputs),
                                 lambda: original_cubin(self, cc), decode=stored, encode=code)

        compile_ir.__wrapped__ = original_nvvm
        get_cubin.__wrapped__ = original_cubin
        nvvm.compile_ir = compile_ir
        codegen.CUDACodeLibrary.get_cubin = get_cubin
        _installed.append(True)


def cached_ptxas(cache, ptx, compute_capability, max_registers, count):
    """``count(ptx, compute_capability, max_registers)`` (ptxas's four counts), through ``cache`` when given."""
    if cache is None:
        return count(ptx, compute_capability, max_registers)

    def counts(data):
        values = data.decode().split()
        return tuple(int(v) for v in values) if len(values) == 4 else None

    return cache.through("ptxas", (repr((tuple(compute_capability), max_registers)), ptx),
                         lambda: count(ptx, compute_capability, max_registers), decode=counts,
                         encode=lambda values: " ".join(str(int(v)) for v in values).encode())


def active_cache():
    """The cache entered by :meth:`CompileCache.active` in this context, or None."""
    return _ACTIVE.get()


def using(cache):
    """``cache.active()``, or a block that does nothing for None."""
    return contextlib.nullcontext() if cache is None else cache.active()
