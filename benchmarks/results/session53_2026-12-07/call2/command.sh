set -u
source benchmarks/device_env.sh >/dev/null 2>&1
mkdir -p /tmp/head && tar xzf .var/head.tgz -C /tmp/head && cp .var/diag_rob.py /tmp/head/
export NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt
cd /tmp/head
export PYTHONPATH=/tmp/site:/tmp/head
echo "== diag $(date +%T)"
timeout 60 python3 diag_rob.py 8192 rodas5p > $OUT/diag_rob.txt 2>&1; tail -c 2500 $OUT/diag_rob.txt
echo "== gpu tests $(date +%T)"
timeout 90 python3 -m pytest -q -rf -p no:cacheprovider -n 16 tests/kernels/test_gpu.py tests/kernels/test_warning_repeats.py tests/kernels/solvers/test_krylov_scale.py > $OUT/tests_gpu.txt 2>&1; tail -3 $OUT/tests_gpu.txt
mkdir -p $OUT/sweep $OUT/sweep96
echo "== rk4 256 b64 $(date +%T)"
timeout 100 python3 -m benchmarks.placement_sweep --methods rk4 --sizes 128 --precisions float32 --blocks 128,64 --placements local,sequential,auto --tag s53r256 --deadline-s 95 --out $OUT/sweep > $OUT/sweep_b64.txt 2>&1; grep "ok\|stopped" $OUT/sweep_b64.txt | cut -c1-200
echo "== quick $(date +%T)"
timeout 275 python3 -m benchmarks.placement_sweep --preset quick --placements local,greedy,auto --tag s53 --deadline-s 255 --out $OUT/sweep > $OUT/sweep_quick.txt 2>&1; grep -A30 "^| device" $OUT/sweep_quick.txt | head -45
echo "== n96 $(date +%T)"
timeout 60 python3 -m benchmarks.placement_sweep --methods rk4,tsit5 --sizes 96 --precisions float32 --blocks 128 --placements local,greedy,auto --tag s53n96 --deadline-s 55 --out $OUT/sweep96 > $OUT/sweep96.txt 2>&1; grep -A12 "^| device" $OUT/sweep96.txt
echo "== end $(date +%T)"
