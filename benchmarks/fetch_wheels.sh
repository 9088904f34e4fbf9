#!/usr/bin/env bash
# Download, on a machine with PyPI, the wheels the GPU machine's image lacks, into .whl/
# (ignored by git; pass it as `carry` to the device tool). Seen 2026-11-25 on the H100 image:
# Python 3.12.3, numba-cuda 0.30.4, numpy 2.5 (breaks numba-cuda's first compile: numpy.row_stack
# is gone), pandas 3.0.6, protobuf 6.33.6, absl-py and typing_extensions present, no OR-Tools.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 -d .whl "ortools==9.15.6755" "numpy==2.4.6" "immutabledict==4.3.1"
# hypothesis (and what it needs) for the property tests that also run on the GPU (pytest is in the image)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 -d .whl \
  "hypothesis==6.148.2" "sortedcontainers==2.4.0" "attrs==25.4.0"
du -sh .whl
