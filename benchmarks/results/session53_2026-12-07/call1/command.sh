set -u
source benchmarks/device_env.sh >/dev/null 2>&1
mkdir -p /tmp/head /tmp/old && tar xzf .var/head.tgz -C /tmp/head && tar xzf .var/old.tgz -C /tmp/old && cp -r /tmp/head/benchmarks /tmp/old/
export NUMBA_ENABLE_CUDASIM=0 BUFFERPLAN_COMPILE_CACHE=off
nvidia-smi --query-gpu=name,driver_version --format=csv > $OUT/gpu.txt
cd /tmp/head
echo "== stiff tests $(date +%T)"
PYTHONPATH=/tmp/site:/tmp/head timeout 170 python3 -m pytest -q -rf -p no:cacheprovider -n 16 tests/kernels/solvers/test_fd_increment.py tests/kernels/test_state_switch.py tests/kernels/solvers/test_fd_product.py tests/kernels/test_gpu_stiff.py > $OUT/tests_stiff.txt 2>&1; tail -5 $OUT/tests_stiff.txt
echo "== fd head $(date +%T)"
mkdir -p $OUT/fd
PYTHONPATH=/tmp/site:/tmp/head timeout 110 python3 -m benchmarks.fd_jacobian_cost --n 8192 --sampled 2 --problems robertson,vdp,hires --tag head --out $OUT/fd > $OUT/fd_head.txt 2>&1; tail -14 $OUT/fd_head.txt
echo "== fd old $(date +%T)"
cd /tmp/old && PYTHONPATH=/tmp/site:/tmp/old timeout 110 python3 -m benchmarks.fd_jacobian_cost --n 8192 --sampled 2 --problems robertson,vdp,hires --tag old --out $OUT/fd > $OUT/fd_old.txt 2>&1; tail -14 $OUT/fd_old.txt
cd /tmp/head
echo "== gpu tests $(date +%T)"
PYTHONPATH=/tmp/site:/tmp/head timeout 100 python3 -m pytest -q -rf -p no:cacheprovider -n 16 tests/kernels/test_gpu.py tests/kernels/test_warning_repeats.py tests/kernels/solvers/test_krylov_scale.py > $OUT/tests_gpu.txt 2>&1; tail -5 $OUT/tests_gpu.txt
echo "== rk4 256 $(date +%T)"
mkdir -p $OUT/sweep
PYTHONPATH=/tmp/site:/tmp/head timeout 90 python3 -m benchmarks.placement_sweep --methods rk4 --sizes 128 --precisions float32 --blocks 128,64 --tag s53 --deadline-s 80 --out $OUT/sweep > $OUT/sweep.txt 2>&1; tail -8 $OUT/sweep.txt
echo "== end $(date +%T)"
