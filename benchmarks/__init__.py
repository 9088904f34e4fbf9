"""bufferplan's benchmark scripts, run as modules from the repository root.

    python -m benchmarks.peers ...            # bufferplan beside its peers (Lorenz ensemble)
    python -m benchmarks.placement_sweep ...  # every memory placement of the batch kernels, measured
    python -m benchmarks.host_overhead ...    # host time per repeated solve
    python -m benchmarks.sanitize ...         # compute-sanitizer over the kernels

``benchmarks.timing`` holds the one way every script times a kernel (CUDA events
around ``BatchKernel.launch``, median of repeats after a warm-up) and a host
call; ``benchmarks.environment`` what every result file records (device,
versions, git state, date, command).  Importing this package imports nothing
else: each script imports ``kernels`` (which chooses the GPU or the simulator)
before ``numba.cuda``.

Every compile a script times is cold: the package turns the on-disk compile
cache off (``BUFFERPLAN_COMPILE_CACHE=off``) unless the environment names
one; ``benchmarks.compile_cache`` passes its own caches explicitly.
"""

import os

os.environ.setdefault("BUFFERPLAN_COMPILE_CACHE", "off")
