set -u
source benchmarks/device_env.sh >/dev/null 2>&1
mkdir -p /tmp/head && tar xzf .var/head.tgz -C /tmp/head
export NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt
cd /tmp/head
export PYTHONPATH=/tmp/site:/tmp/head
mkdir -p $OUT/sweep
echo "== rk4 f64 $(date +%T)"
timeout 120 python3 -m benchmarks.placement_sweep --preset quick --methods rk4 --precisions float64 --sizes 64,128 --placements local,greedy,auto --tag s53c3 --deadline-s 110 --out $OUT/sweep > $OUT/sweep_rk4.txt 2>&1; grep "ok\|stopped" $OUT/sweep_rk4.txt | cut -c1-200
echo "== tsit5 f64 $(date +%T)"
timeout 60 python3 -m benchmarks.placement_sweep --preset quick --methods tsit5 --precisions float64 --sizes 16 --blocks 64,256 --placements local,greedy,auto --tag s53c3 --deadline-s 55 --out $OUT/sweep > $OUT/sweep_tsit5.txt 2>&1; grep "ok\|stopped" $OUT/sweep_tsit5.txt | cut -c1-200
grep -A12 "^| device" $OUT/sweep_tsit5.txt
echo "== end $(date +%T)"
