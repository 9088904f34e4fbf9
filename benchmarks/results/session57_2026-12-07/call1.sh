set -u
source benchmarks/device_env.sh >/dev/null 2>&1
mkdir -p /tmp/head && tar xzf .var/head.tgz -C /tmp/head
export NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off BUFFERPLAN_TREE=7b053e0
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt; cat $OUT/gpu.txt
cd /tmp/head
export PYTHONPATH=/tmp/site:/tmp/head
echo "== sizes $(date +%T)"
timeout 400 python3 -m pytest -v -rf -p no:cacheprovider -n 14 tests/kernels/test_gpu_sizes.py > $OUT/sizes.txt 2>&1; grep -E "FAILED|ERROR|passed|failed" $OUT/sizes.txt | tail -30
echo "== slow $(date +%T)"
timeout 150 python3 -m pytest -q -rf -p no:cacheprovider -n 6 -m slow tests/kernels > $OUT/slow.txt 2>&1; tail -8 $OUT/slow.txt
echo "== end $(date +%T)"
