set -u
source benchmarks/device_env.sh >/dev/null 2>&1
mkdir -p /tmp/head && tar xzf .var/head.tgz -C /tmp/head
export NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off BUFFERPLAN_TREE=8303d2f PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt; cat $OUT/gpu.txt
cd /tmp/head
export PYTHONPATH=/tmp/site:/tmp/head
mkdir -p benchmarks/results $OUT/sweep
echo "== tests $(date +%T)"
timeout 160 python3 -m pytest -q -rf -p no:cacheprovider -n 14 tests/kernels/test_gpu.py tests/kernels/test_gpu_stiff.py \
  tests/kernels/test_warning_repeats.py tests/kernels/solvers/test_fd_product.py tests/kernels/solvers/test_krylov_scale.py > $OUT/tests.txt 2>&1; tail -8 $OUT/tests.txt
echo "== planning_time $(date +%T)"
timeout 100 python3 -m benchmarks.planning_time --jobs 4 --timeout 90 --tag s59 --out $OUT/planning > $OUT/planning.txt 2>&1; tail -14 $OUT/planning.txt
echo "== sweep $(date +%T)"
timeout 320 python3 -m benchmarks.placement_sweep --preset quick --tag s59 --deadline-s 290 --out $OUT/sweep > $OUT/sweep.txt 2>&1; tail -5 $OUT/sweep.txt
echo "== end $(date +%T)"
