# kernels chooses its backend (GPU or Numba's CUDA simulator) before numba.cuda is first imported;
# importing it here, ahead of any test module, keeps that choice in kernels' hands.
import kernels  # noqa: F401
