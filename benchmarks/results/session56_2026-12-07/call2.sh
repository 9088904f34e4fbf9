set -u
source benchmarks/device_env.sh >/dev/null 2>&1
mkdir -p /tmp/head && tar xzf .var/head.tgz -C /tmp/head
export NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off BUFFERPLAN_TREE=4a8db7b
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt; cat $OUT/gpu.txt
cd /tmp/head
export PYTHONPATH=/tmp/site:/tmp/head
echo "== start $(date +%T)"
timeout 300 python3 -m pytest -q -rf -p no:cacheprovider -n 14 --durations=15 tests/kernels/test_rosenbrock_first_step.py tests/kernels/test_gpu_stiff.py tests/kernels/test_gpu.py tests/kernels/test_gpu_sizes.py tests/kernels/test_warning_repeats.py > $OUT/tests.txt 2>&1; grep -v "PytestBenchmarkWarning\|warner(" $OUT/tests.txt | tail -25
echo "== end $(date +%T)"
