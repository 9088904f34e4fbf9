set -u
source benchmarks/device_env.sh >/dev/null 2>&1
mkdir -p /tmp/head && tar xzf .var/head.tgz -C /tmp/head
export NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off BUFFERPLAN_TREE=1feb563
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt
mkdir -p $OUT/rel
cd /tmp/head
echo "== start $(date +%T)"
for p in robertson; do
  (PYTHONPATH=/tmp/site:/tmp/head timeout 85 python3 -m benchmarks.reliability_sweep --n 8192 --sampled 2 \
     --methods rodas4,rodas5p --precisions float64,float32 --rtols 1e-4,1e-5 --problems $p --tag $p \
     --out $OUT/rel > $OUT/rel_$p.txt 2>&1) &
done
PYTHONPATH=/tmp/site:/tmp/head timeout 85 python3 -m pytest -q -rf -p no:cacheprovider -n 8 tests/kernels/test_rosenbrock_first_step.py tests/kernels/test_gpu_stiff.py -k "rosenbrock or rodas or first_step or ros3p" > $OUT/tests.txt 2>&1; tail -3 $OUT/tests.txt
echo "== tests done $(date +%T)"
wait
echo "== done $(date +%T)"
for p in robertson; do
  grep -h -o "method=[a-z0-9]* precision=[a-z0-9]* rtol=[0-9.e-]* atol=[0-9.e-]* n=[0-9]* failed=[0-9]* failed_rows=\[[0-9, ]*\] failed_status=\[[0-9, ]*\] wrong=[0-9]*\|steps=[0-9.]* rejected=[0-9.]*" $OUT/rel_$p.txt | paste - - | sed "s/^/$p /" | sed 's/ n=8192//'
done
