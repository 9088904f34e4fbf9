set -u
tar xJf .cubie/cubie-site.tar.xz -C /tmp && mkdir -p /tmp/head && tar xzf .varc/lean.tgz -C /tmp/head && cd /tmp/head
export PYTHONPATH=/tmp/cubie-site:$PWD NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off PYTHONUNBUFFERED=1 BUFFERPLAN_TREE=8303d2f
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt; cat $OUT/gpu.txt
echo "== cubie $(date +%T)"
timeout 545 python3 -m benchmarks.stiff_peers --impls bufferplan-lu,cubie-lu --methods sdirk4,radau,rodas4 --sizes 8,32,64,128 \
  --precisions float32,float64 --plans local,auto --jobs 14 --deadline-s 520 --config-timeout-s 300 \
  --tag cubie59 --out $OUT/cubie > $OUT/cubie.log 2>&1; tail -40 $OUT/cubie.log
echo "== end $(date +%T)"
