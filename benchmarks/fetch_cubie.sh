#!/usr/bin/env bash
# Build .cubie/ (ignored by git) on a machine with PyPI, for the cubie peer of benchmarks/peers.py
# on the GPU machine (no network there). Pass .cubie as the only `carry` of that device call.
#
# cubie 0.17.0 needs its own Numba-CUDA fork, cubie-numba-cuda-mlir 0.5.3.1 (import name
# numba_cuda_mlir; 71 MB as a wheel, 215 MB installed), and lxml, Pint (flexcache, flexparser,
# platformdirs), rdflib (pyparsing) and attrs at import; numpy 2.4.6 comes too, since the image's
# numpy 2.5 breaks the image's numba-cuda (the reference kernel), which runs in the same process.
# The image already has sympy, networkx, typing_extensions, cuda-bindings, cuda-core,
# cuda-pathfinder and the CUDA toolkit that numba-cuda uses (NVVM, libdevice), so the [cu13]
# extra's toolkit wheels are not carried. The wheels (95 MB) exceed the 64 MiB carry limit, so they
# are installed here into one tree for Python 3.12 (`pip install --target`, no scripts, numpy's
# tests removed) and packed with xz: .cubie/cubie-site.tar.xz, about 60 MB. On the GPU machine:
#   tar xJf .cubie/cubie-site.tar.xz -C /tmp && export PYTHONPATH=/tmp/cubie-site:$PWD
# (benchmarks/README.md, "cubie", has the whole command). xz -9e takes about 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=(cubie==0.17.0 cubie-numba-cuda-mlir==0.5.3.1 numpy==2.4.6 attrs==26.1.0 lxml==6.1.3 pint==0.25.3
      flexcache==0.3 flexparser==0.4 platformdirs==4.14.8 rdflib==7.6.0 pyparsing==3.3.3)
TAGS=(--only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64
      --platform manylinux_2_27_x86_64 --platform manylinux_2_26_x86_64 --platform manylinux_2_17_x86_64
      --platform manylinux2014_x86_64)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download -q --no-deps "${TAGS[@]}" -d "$work/wheels" "${PKGS[@]}"
python3 -m pip install -q --no-deps --no-index --no-compile "${TAGS[@]}" --target "$work/cubie-site" "$work"/wheels/*.whl
rm -rf "$work/cubie-site/bin"
find "$work/cubie-site/numpy" -type d -name tests -prune -exec rm -rf {} +
mkdir -p .cubie
rm -f .cubie/cubie-site.tar.xz .cubie/MANIFEST
(cd "$work/wheels" && sha256sum -- *.whl) > .cubie/MANIFEST
tar -C "$work" -cf - cubie-site | xz -9e -T0 > .cubie/cubie-site.tar.xz
du -b .cubie/cubie-site.tar.xz
repo=$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- | tail -1 | cut -f1)
total=$(( repo + $(du -sb .cubie | cut -f1) ))
echo "carry total with the working tree: $total bytes (limit $((64 * 1024 * 1024)))"
[ "$total" -lt $((64 * 1024 * 1024)) ] || { echo "fetch_cubie: OVER the 64 MiB carry limit" >&2; exit 1; }
