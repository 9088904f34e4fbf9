set -u
source benchmarks/device_env.sh >/dev/null 2>&1
mkdir -p /tmp/head && tar xzf .var/head.tgz -C /tmp/head
export NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off BUFFERPLAN_TREE=8b8433d
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt
mkdir -p $OUT/rel
cd /tmp/head
echo "== start $(date +%T)"
(PYTHONPATH=/tmp/site:/tmp/head timeout 235 python3 -m benchmarks.reliability_sweep --n 8192 --sampled 2 \
   --methods rodas4,rodas5p --precisions float64,float32 --rtols 1e-4,1e-5 --problems robertson --tag robertson \
   --out $OUT/rel > $OUT/rel_robertson.txt 2>&1) &
PYTHONPATH=/tmp/site:/tmp/head timeout 240 python3 -m pytest -q -rf -p no:cacheprovider -n 8 tests/kernels/test_rosenbrock_first_step.py tests/kernels/test_gpu_stiff.py tests/kernels/test_gpu.py tests/kernels/test_gpu_sizes.py tests/kernels/test_warning_repeats.py > $OUT/tests.txt 2>&1; tail -3 $OUT/tests.txt
echo "== tests done $(date +%T)"
wait
echo "== done $(date +%T)"
grep -h -o "method=[a-z0-9]* precision=[a-z0-9]* rtol=[0-9.e-]* atol=[0-9.e-]* n=[0-9]* failed=[0-9]* failed_rows=\[[0-9, ]*\] failed_status=\[[0-9, ]*\] wrong=[0-9]*\|steps=[0-9.]* rejected=[0-9.]*" $OUT/rel_robertson.txt | paste - - | sed 's/ n=8192//'
echo "== planning $(date +%T)"
mkdir -p $OUT/plan
PYTHONPATH=/tmp/site:/tmp/head timeout 95 python3 -m benchmarks.planning_time --repeat --jobs 4 --timeout 90 --configs rk4:chain:64,tsit5:chain:16,rodas4:bruss:8,radau:bruss:8 --tag s55 --out $OUT/plan > $OUT/planning.txt 2>&1; tail -30 $OUT/planning.txt
echo "== end $(date +%T)"
cd $OUT && tar czf rel.tgz rel plan && rm -rf rel plan
