import atexit
import os
import shutil
import tempfile

# kernels chooses its backend (GPU or Numba's CUDA simulator) before numba.cuda is first imported;
# importing it here, ahead of any test module, keeps that choice in kernels' hands.
import kernels  # noqa: F401
from kernels.compile_cache import ENV_VAR

# The tests' compiles (and the processes they start) share a compile cache of their own, never the user's.
_CACHE = tempfile.mkdtemp(prefix="bufferplan-test-cache-")
os.environ[ENV_VAR] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)
