set -u
source benchmarks/device_env.sh >/dev/null 2>&1
mkdir -p /tmp/head && tar xzf .var/head.tgz -C /tmp/head
export NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off BUFFERPLAN_TREE=4a8db7b
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt; cat $OUT/gpu.txt
cd /tmp/head
export PYTHONPATH=/tmp/site:/tmp/head
mkdir -p $OUT/plan
echo "== start $(date +%T)"
timeout 200 python3 -m pytest -q -rf -p no:cacheprovider -n 8 tests/kernels/test_rosenbrock_first_step.py tests/kernels/test_gpu_stiff.py tests/kernels/test_gpu.py tests/kernels/test_gpu_sizes.py tests/kernels/test_warning_repeats.py > $OUT/tests.txt 2>&1; tail -4 $OUT/tests.txt
echo "== planning $(date +%T)"
timeout 150 python3 -m benchmarks.planning_time --repeat --jobs 4 --timeout 140 --configs rk4:chain:16,tsit5:chain:64,rodas4:bruss:8,radau:bruss:32 --tag s56 --out $OUT/plan > $OUT/planning.txt 2>&1; tail -30 $OUT/planning.txt
echo "== end $(date +%T)"
cd $OUT && tar czf plan.tgz plan && rm -rf plan
