# Source at the start of every command on the GPU machine (carry .whl):
#   source benchmarks/device_env.sh
# Installs the carried wheels ahead of the image's packages and puts the repository on the path.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  || { echo "device_env: installing .whl failed (run benchmarks/fetch_wheels.sh here first)"; return 1; }
export PYTHONPATH=/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}
export PYTHONUNBUFFERED=1
