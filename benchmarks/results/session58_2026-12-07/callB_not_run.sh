set -u
source benchmarks/device_env.sh >/dev/null 2>&1
mkdir -p /tmp/head && tar xzf .var/head.tgz -C /tmp/head
export NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off BUFFERPLAN_TREE=4f17b2b PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt; cat $OUT/gpu.txt
cd /tmp/head
export PYTHONPATH=/tmp/site:/tmp/head
mkdir -p benchmarks/results
echo "== sweep $(date +%T)"
timeout 480 python3 -m benchmarks.placement_sweep --preset quick --tag s58 --deadline-s 430 --out $OUT/sweep > $OUT/sweep.txt 2>&1; tail -5 $OUT/sweep.txt
echo "== planning_time $(date +%T)"
timeout 100 python3 -m benchmarks.planning_time --jobs 4 --timeout 90 --tag s58 --out $OUT/planning > $OUT/planning.txt 2>&1; tail -14 $OUT/planning.txt
echo "== end $(date +%T)"
