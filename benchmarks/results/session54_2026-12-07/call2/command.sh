set -u
source benchmarks/device_env.sh >/dev/null 2>&1
mkdir -p /tmp/head && tar xzf .var/head.tgz -C /tmp/head
export NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off BUFFERPLAN_TREE=7312512
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt
mkdir -p $OUT/rel
cd /tmp/head
echo "== start $(date +%T)"
for p in robertson robertson_fd vdp hires brusselator8 oregonator; do
  (PYTHONPATH=/tmp/site:/tmp/head timeout 430 python3 -m benchmarks.reliability_sweep --n 4096 --sampled 2 \
     --methods radau,rodas5p,rodas4,ros3p,kvaerno5,kvaerno3,sdirk4,gauss4 --precisions float64,float32 \
     --rtols 1e-4,1e-6,1e-8 --atol-factors 1,1e-3 --problems $p --tag $p --out $OUT/rel > $OUT/rel_$p.txt 2>&1) &
done
wait
echo "== done $(date +%T)"
for p in robertson robertson_fd vdp hires brusselator8 oregonator; do
  grep -h -o "method=[a-z0-9]* precision=[a-z0-9]* rtol=[0-9.e-]* atol=[0-9.e-]* n=[0-9]* failed=[0-9]* failed_rows=\[[0-9, ]*\] failed_status=\[[0-9, ]*\] wrong=[0-9]*" $OUT/rel_$p.txt | grep -v "failed=0 failed_rows=\[\] failed_status=\[\] wrong=0" | sed "s/^/$p /"
  echo "$p rows: $(grep -c '^method=' $OUT/rel_$p.txt)"; grep -h "Error\|Traceback" $OUT/rel_$p.txt | head -3
done
