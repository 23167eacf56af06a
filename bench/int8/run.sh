#!/usr/bin/env bash
# fp32 against int8 on the CPU, side by side in one run: bench (inference alone and end to end, all cores and
# 1 core, alternating, two passes), feature fidelity over every shared photo, and the default head's accuracy.
# Usage: bash bench/int8/run.sh [DATA] [OUT]   (after dotnet build Pipeline.sln -c Release)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data/cats-vs-dogs-small}
OUT=${2:-/tmp/pipeline-int8}
P="dotnet src/Cli/bin/Release/net10.0/pipeline.dll"
mkdir -p "$OUT"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(grep -o -w -E 'avx512_vnni|avx_vnni|avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
/usr/bin/time -f "quantize: %e s, %M KB peak" $P models quantize --backbone resnet18 --calibration "$DATA/train" --out "$OUT/resnet18-int8.onnx"

bench() {  # label, cpu list or "", images, backbone
  local pin=() ; [ -n "$2" ] && pin=(taskset -c "$2")
  "${pin[@]}" $P bench --data "$DATA/train" --images "$3" --rounds 3 --device cpu --backbone "$4" --json 2>/dev/null |
    /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin)['report']; print('$1', round(r['inferenceImagesPerSecond'],1), round(r['endToEndImagesPerSecond'],1))"
}
: > "$OUT/bench.txt"
for pass in 1 2; do
  bench "all fp32" "" 128 resnet18 | tee -a "$OUT/bench.txt"
  bench "all int8" "" 128 "$OUT/resnet18-int8.onnx" | tee -a "$OUT/bench.txt"
  bench "one fp32" 0 64 resnet18 | tee -a "$OUT/bench.txt"
  bench "one int8" 0 64 "$OUT/resnet18-int8.onnx" | tee -a "$OUT/bench.txt"
done
/usr/bin/python3 - "$OUT/bench.txt" <<'PY'
import sys, collections
best = collections.defaultdict(lambda: [0, 0])
for line in open(sys.argv[1]):
    cores, kind, inf, e2e = line.split()
    b = best[(cores, kind)]; b[0] = max(b[0], float(inf)); b[1] = max(b[1], float(e2e))
for cores in ("all", "one"):
    f, q = best[(cores, "fp32")], best[(cores, "int8")]
    print(f"{cores} cores, best of two: inference alone fp32 {f[0]} int8 {q[0]} img/s = {q[0]/f[0]:.2f}x; end to end fp32 {f[1]} int8 {q[1]} = {q[1]/f[1]:.2f}x")
PY

for kind in fp32 int8; do
  b=resnet18; [ $kind = int8 ] && b="$OUT/resnet18-int8.onnx"
  $P extract --data "$DATA" --out "$OUT/cache-$kind" --backbone "$b" --device cpu --quiet
  $P train --cache "$OUT/cache-$kind" --out "$OUT/head-$kind" --json --quiet > "$OUT/train-$kind.json"
  $P evaluate --head "$OUT/head-$kind" --cache "$OUT/cache-$kind" --json > "$OUT/eval-$kind.json"
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, numpy as np
out = sys.argv[1]
cos = []
for split in ("train", "validation", "test"):
    a = np.load(f"{out}/cache-fp32/{split}/features.npy").reshape(-1, 512).astype(np.float64)
    b = np.load(f"{out}/cache-int8/{split}/features.npy").reshape(-1, 512).astype(np.float64)
    cos += list((a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1))
cos = np.array(cos)
print(f"fidelity over {len(cos)} photos: cosine int8 to fp32 median {np.median(cos):.4f}, 1st percentile {np.percentile(cos, 1):.4f}, lowest {cos.min():.4f}")
for kind in ("fp32", "int8"):
    e = json.load(open(f"{out}/eval-{kind}.json")); t = json.load(open(f"{out}/train-{kind}.json"))
    cv = t.get("crossValidation") or {}
    print(f"{kind}: test accuracy {e['accuracy']*100:.2f} % (95 % interval {e['accuracyLow']*100:.1f}-{e['accuracyHigh']*100:.1f}), "
          f"cross-validated held-out accuracy {cv.get('accuracy', float('nan'))*100:.2f} %")
PY
