"""Kernels tests: import ``kernels`` first.

Importing ``kernels`` lets it choose the backend (the CUDA simulator on a
machine without a GPU) before anything else imports ``numba.cuda``.  Shared
helpers live in ``kernel_helpers.py``.
"""

import kernels  # noqa: F401
