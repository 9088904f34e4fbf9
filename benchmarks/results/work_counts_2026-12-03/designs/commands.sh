source benchmarks/device_env.sh || exit 1
export NUMBA_ENABLE_CUDASIM=0
R=$PWD
run() {  # tree tag sizes precisions methods
  (cd $1 && PYTHONPATH=/tmp/site:$1 timeout 150 python3 -m benchmarks.stiff_peers --impls bufferplan-lu --methods $5 \
     --sizes $3 --precisions $4 --plans local --repeats 5 --jobs 14 --deadline-s 140 --config-timeout-s 120 --tag $2 --out /tmp/o > /tmp/o/$2.log 2>&1)
}
mkdir -p /tmp/o
for r in 1 2; do
  run $R/.var/old old$r 8,32 float32,float64 sdirk4,radau,rodas4
  run $R new$r 8,32 float32,float64 sdirk4,radau,rodas4
  run $R/.var/glob glob$r 8,32 float32,float64 sdirk4,radau,rodas4
done
run $R/.var/old old128 128 float32 sdirk4,rodas4
run $R new128 128 float32 sdirk4,rodas4
run $R/.var/glob glob128 128 float32 sdirk4,rodas4
python3 .var/gcounts.py $OUT/gcounts_gpu.json > /tmp/o/gcounts.log 2>&1
tar czf $OUT/runs.tgz -C /tmp o
python3 - <<'PY'
import json,glob
res={}
for f in sorted(glob.glob('/tmp/o/stiff_peers_*.json')):
    tag=f.split('_')[-1][:-5].rstrip('0123456789') or 'x'
    tag=f.split('_')[-1][:-5]
    for r in json.load(open(f))['results']:
        if r.get('kernel'): res.setdefault(r['id'],{})[tag]=(round(r['kernel']['median_ms'],3), r['resources']['registers_per_thread'], r['resources']['local_bytes_per_thread'])
for k,v in sorted(res.items()): print(k, v)
PY
tail -6 /tmp/o/gcounts.log
