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
# Dask for the scale-out runs (issue 13), in their own folder: device_env.sh installs .whl/*.whl only,
# so a run that needs them adds: python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/dask/*.whl
mkdir -p .whl/dask
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 -d .whl/dask dask==2026.8.0 distributed==2026.8.0 partd==1.4.2 locket==1.0.0 \
  tblib==3.2.2 tornado==6.6.1 zict==3.0.0
du -sh .whl
