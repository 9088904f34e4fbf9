set -u
source benchmarks/device_env.sh >/dev/null 2>&1
mkdir -p /tmp/head /tmp/old && tar xzf .var/head.tgz -C /tmp/head && cp -r /tmp/head/. /tmp/old/ && rm -rf /tmp/old/kernels && tar xzf .var/old_kernels.tgz -C /tmp/old
export NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt
mkdir -p $OUT/fss
echo "== start $(date +%T)"
(cd /tmp/old && BUFFERPLAN_TREE=0f7a1f4 PYTHONPATH=/tmp/site:/tmp/old timeout 420 python3 -m benchmarks.first_step_sweep --n 8192 --sampled 4 --tag old --out $OUT/fss > $OUT/fss_old.txt 2>&1) &
(cd /tmp/head && PYTHONPATH=/tmp/site:/tmp/head timeout 420 python3 -m benchmarks.first_step_sweep --n 8192 --sampled 4 --tag new --out $OUT/fss > $OUT/fss_new.txt 2>&1) &
cd /tmp/head
PYTHONPATH=/tmp/site:/tmp/head timeout 400 python3 -m pytest -q -rf -p no:cacheprovider -n 10 tests/kernels/test_gpu_stiff.py tests/kernels/test_rosenbrock_first_step.py tests/kernels/test_gpu.py tests/kernels/test_warning_repeats.py > $OUT/tests.txt 2>&1; tail -6 $OUT/tests.txt
echo "== tests done $(date +%T)"
wait
echo "== sweeps done $(date +%T)"
tail -3 $OUT/fss_old.txt; tail -3 $OUT/fss_new.txt
grep -h -o "method=[a-z0-9]* precision=[a-z0-9]* rtol=[0-9.e-]* n=[0-9]* failed=[0-9]* failed_rows=\[[0-9, ]*\] wrong=[0-9]*" $OUT/fss_old.txt | head -60 > $OUT/fss_old_short.txt
grep -h -o "method=[a-z0-9]* precision=[a-z0-9]* rtol=[0-9.e-]* n=[0-9]* failed=[0-9]* failed_rows=\[[0-9, ]*\] wrong=[0-9]*" $OUT/fss_new.txt | head -60 > $OUT/fss_new_short.txt
paste -d'|' $OUT/fss_old_short.txt $OUT/fss_new_short.txt | sed 's/ n=8192//g' | cut -c1-230
