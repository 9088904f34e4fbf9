import atexit
import os
import shutil
import tempfile

# kernels chooses its backend (GPU or Numba's CUDA simulator) before numba.cuda is first imported;
# importing it here, ahead of any test module, keeps that choice in kernels' hands.
import kernels  # noqa: F401
from kernels.compile_cache import ENV_VAR

# The tests' compiles (and the processes they start) share a compile cache of their own, never the user's: one
# folder for the whole run, so that the xdist workers (which share PYTEST_XDIST_TESTRUNUID) do not compile the
# same kernel twice.  A worker that ends first may remove it under the other: the cache then only misses.
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID")
if _RUN:
    _CACHE = os.path.join(tempfile.gettempdir(), f"bufferplan-test-cache-{_RUN}")
    os.makedirs(_CACHE, exist_ok=True)
else:
    _CACHE = tempfile.mkdtemp(prefix="bufferplan-test-cache-")
os.environ[ENV_VAR] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)
