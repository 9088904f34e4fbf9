tar xJf .cubie/cubie-site.tar.xz -C /tmp && export PYTHONPATH=/tmp/cubie-site:$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $OUT/gpu.txt
timeout 570 python3 -m benchmarks.stiff_peers --plans local,auto,factor-shared --impls bufferplan-lu,cubie-lu --methods sdirk4,radau,rodas4 \
  --sizes 8,32,64,128 --precisions float32,float64 --deadline-s 555 --config-timeout-s 320 --jobs 14 \
  --tag l2term --out $OUT > $OUT/log.txt 2>&1
tail -70 $OUT/log.txt
