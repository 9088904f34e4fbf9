set -u
source benchmarks/device_env.sh >/dev/null 2>&1
mkdir -p /tmp/head && tar xzf .var/head.tgz -C /tmp/head
export NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off BUFFERPLAN_TREE=7b053e0
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt; cat $OUT/gpu.txt
cd /tmp/head
export PYTHONPATH=/tmp/site:/tmp/head
mkdir -p benchmarks/results
echo "== compile_time $(date +%T)"
timeout 400 python3 -m benchmarks.compile_time --method radau rodas4 sdirk4 --n 64 128 --precision float32 --label s57 > $OUT/compile_time.txt 2>&1; tail -12 $OUT/compile_time.txt; cp benchmarks/results/compile_time_s57.json $OUT/ 2>/dev/null
echo "== end $(date +%T)"
