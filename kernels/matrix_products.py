"""A matrix product in a user function (``A @ y``, ``np.dot(w, y)``, ``A.dot(y)``): the loop to write instead.

A vectorised generalised Lotka-Volterra rhs, ``dydt[:] = y * (r + A @ y)``, was told Numba's "No implementation of
function matmul for matmul(readonly array(float64, 2d, C), array(float32, 1d, A))" and the generic note that Numba
compiles a subset of Python, where ``np.dot`` was told that device code cannot create arrays (an ecologist's trial,
coming from diffrax, where the vectorised form is the usual one).  :func:`matrix_product` recognises the product from
the compiler's words or the failing line, and :data:`PRODUCT_HINTS` give the loop over components, written with the
line's own operands: row by column for a matrix times a vector, a sum of products for two vectors.
"""

from __future__ import annotations

import re

__all__ = ["PRODUCT_HINTS", "matrix_product"]

#: The remedy of a matrix product in an rhs (or another function that writes an output array) and in an event
#: function (which returns one number), filled with :func:`matrix_product`'s names.
PRODUCT_HINTS = {
    "rhs": "Device code cannot create arrays, so neither a matrix product ({product}) nor whole-array arithmetic "
           "(y * r, r + s) compiles: write the loop over components in scalar arithmetic, {loop}, and write each "
           "component into the output array ({constant}).",
    "event": "Device code cannot create arrays, so a matrix product ({product}) does not compile: compute the value "
             "from entries of y and p in scalar arithmetic, {loop}, and return it as one number ({constant}).",
}

_NUMBA = re.compile(r"\bfunction (matmul|dot|array_dot|vdot)\b|'numpy\.(matmul|dot|vdot|inner)'")
_OPERAND = r"[A-Za-z_]\w*(?:\[\s*\w+\s*\])?"  # a name, or a row of one: A[i]
_WRITTEN = (re.compile(rf"({_OPERAND})\s*@\s*({_OPERAND})"),
            re.compile(rf"\b(?:np|numpy)\.(?:dot|matmul|vdot|inner)\s*\(\s*({_OPERAND})\s*,\s*({_OPERAND})\s*\)"),
            re.compile(rf"\b({_OPERAND})\.dot\s*\(\s*({_OPERAND})\s*\)"))
# the dimensions of the two operands as Numba typed them: matmul(readonly array(float64, 2d, C), array(float32, 1d, A))
_DIMENSIONS = re.compile(r"(?:matmul|dot|vdot|array_dot)\((?:readonly )?array\(\w+, (\d)d, \w+\), "
                         r"(?:readonly )?array\(\w+, (\d)d")


def matrix_product(summary, source):
    """``{"product", "loop", "constant"}`` for :data:`PRODUCT_HINTS` where a compile failure is a matrix or dot product
    of arrays: the compiler's ``summary`` names ``matmul``, ``dot`` or ``array_dot``, or the failing line ``source``
    writes one (``A @ y``, ``np.dot(w, y)``, ``A.dot(y)``); None otherwise."""
    written = next((found for pattern in _WRITTEN for found in [pattern.search(source)] if found), None)
    if not _NUMBA.search(summary) and written is None:
        return None
    left, right = written.groups() if written else ("A", "y")
    product = written.group(0) if written else "A @ y"
    dims = _DIMENSIONS.search(summary)
    left_dims, right_dims = (int(dims.group(1)), int(dims.group(2))) if dims else (2, 1)
    left, left_dims = _row(left, left_dims)
    right, right_dims = _row(right, right_dims)
    if left_dims == 1 and right_dims == 1:
        loop = f"s = 0.0; for j in range(n): s += {_entry(left, 'j')} * {_entry(right, 'j')}, then s for {product}"
    elif left_dims == 1:  # w @ A: column j of the matrix
        loop = (f"for j in range(n): s = 0.0; for i in range(n): s += {_entry(left, 'i')} * {_entry(right, 'i', 'j')}, "
                f"then component j from s, which is ({product})[j]")
    else:
        loop = (f"for i in range(n): s = 0.0; for j in range(n): s += {_entry(left, 'i', 'j')} * {_entry(right, 'j')}, "
                f"then component i from s, which is ({product})[i] (dydt[:] = y * (r + A @ y) is dydt[i] = y[i] * "
                "(r[i] + s))")
    matrices = [name for name, n in ((left, left_dims), (right, right_dims)) if n == 2 or "[" in name]
    matrix = matrices[0].split("[")[0] if matrices else None
    constant = ("a NumPy array read from the module is compiled in as a constant; one that varies per trajectory goes "
                "into params" + (f", a matrix flattened: {matrix}[i, j] as p[i * n + j]" if matrix else ""))
    return {"product": product, "loop": loop, "constant": constant}


def _row(operand, dims):
    """``(operand, dims)`` with a row ``A[i]`` of a matrix kept as written and counted as a vector."""
    return operand, 1 if "[" in operand else dims


def _entry(operand, *indices):
    """The entry of ``operand`` at ``indices`` as device code reads it: ``A[i, j]``, ``y[j]``; a row ``A[k]`` at
    ``j`` is ``A[k, j]``."""
    row = re.fullmatch(r"([A-Za-z_]\w*)\[\s*(\w+)\s*\]", operand)
    if row:
        return f"{row.group(1)}[{row.group(2)}, {', '.join(indices)}]"
    return f"{operand}[{', '.join(indices)}]"
