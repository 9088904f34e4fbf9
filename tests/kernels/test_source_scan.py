"""Source scan: no working array bypasses the Plan's allocators.

Outside ``kernels/allocators.py`` no kernels module may create CUDA arrays
(not even in a comment: the repository hook greps the raw text), and no
device function may slice an array (a slice of shared memory is an
allocation the Plan does not know about).
"""

import ast
import pathlib
import re

import kernels

KERNELS = pathlib.Path(kernels.__file__).parent
ALLOCATORS = re.compile(r"^allocat[a-z_]*\.py$")
ARRAY_CALL = re.compile(r"cuda\.(local|shared)\.array")


def _modules():
    files = sorted(p for p in KERNELS.rglob("*.py") if not ALLOCATORS.match(p.name))
    assert len(files) >= 10, files
    return files


def _is_device_function(node):
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Attribute) and target.attr == "jit":
            return True
    return False


def test_array_creation_only_in_allocators():
    offenders = [f"{p.name}:{i}" for p in _modules()
                 for i, line in enumerate(p.read_text().splitlines(), 1) if ARRAY_CALL.search(line)]
    assert offenders == []
    assert ARRAY_CALL.search((KERNELS / "allocators.py").read_text())


def test_no_slicing_in_device_functions():
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and _is_device_function(node):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Subscript) and any(isinstance(s, ast.Slice) for s in ast.walk(sub.slice)):
                        offenders.append(f"{path.name}:{sub.lineno} in {node.name}")
    assert offenders == []


def test_scan_finds_violations(tmp_path):
    """The scanners do catch what they look for."""
    bad = "from numba import cuda\n@cuda.jit(device=True)\ndef f(a):\n    b = a[1:3]\n    return b\n"
    tree = ast.parse(bad)
    funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and _is_device_function(n)]
    assert funcs and any(isinstance(s, ast.Slice) for s in ast.walk(funcs[0]))
    assert ARRAY_CALL.search("x = cuda.local.array(4, float32)")
