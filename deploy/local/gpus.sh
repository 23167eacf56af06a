#!/usr/bin/env bash
# One multi-GPU machine without a scheduler: one shard per GPU, in parallel, then merge.
#   deploy/local/gpus.sh DATA CACHE [N]        (N: the GPUs to use, default every one nvidia-smi lists)
# Each shard sees one GPU (CUDA_VISIBLE_DEVICES=i) and prints which; EXTRACT_ARGS adds extract options.
set -euo pipefail
data=$1; cache=$2
n=${3:-$(nvidia-smi --list-gpus | wc -l)}
pids=()
for ((i = 0; i < n; i++)); do
  # shellcheck disable=SC2086
  CUDA_VISIBLE_DEVICES=$i pipeline extract --data "$data" --out "$cache" --shard "$i/$n" --device cuda --quiet ${EXTRACT_ARGS:-} \
    > "$cache.shard-$i.log" 2>&1 &
  pids+=($!)
done
status=0
for ((i = 0; i < n; i++)); do
  if wait "${pids[$i]}"; then echo "shard $i/$n on GPU $i: done"; else echo "shard $i/$n on GPU $i failed: see $cache.shard-$i.log" >&2; status=1; fi
done
[ $status -eq 0 ] && pipeline merge "$cache"
exit $status
