#!/usr/bin/env bash
# GPU throughput report, in two halves:
#   bench/gpu/run.sh pack     here (with the .NET SDK): a self-contained linux-x64 publish of the CLI,
#                             torch and plotting natives left out (the bench needs ONNX Runtime only),
#                             plus 256 shared photos, xz-compressed and split into .gpu/pN/ parts of
#                             < 60 MiB each: ONNX Runtime's CUDA provider alone is 271 MB, more than
#                             one 64 MiB transfer to the GPU machine.
#   bench/gpu/run.sh device   on the GPU machine (no SDK, no network), once every part has been
#                             copied to $PARTS (default /root/gpu-parts): unpacks, points the loader
#                             at the CUDA 13 / cuDNN 9 libraries of the machine's Python wheels, and
#                             prints the same report as 'pipeline bench' with --device cuda. Builds
#                             nothing; about 2 minutes.
#   bench/gpu/run.sh scale    on the GPU machine, after 'device' unpacked the app (issue #10): makes
#                             25,000 distinct JPEGs from the shipped photos (pipeline bench photos), then
#                             in steady state (medians of rounds over all 25,000 images):
#                               - ResNet18 and synthetic VGG16 x fp32, tf32, fp16 at batch 128: inference
#                                 alone and end to end (pipeline bench --json);
#                               - ResNet18 fp16 at batch 32, 64, 128, 256;
#                               - a real 'extract' of the 25,000 to a finished cache for each model at
#                                 fp16 (the < 10 s goal), sampling GPU utilisation with nvidia-smi every
#                                 100 ms, and the decode workers' busy share from extract --json.
#                             Writes $OUT/scale-*.json|txt and $OUT/scale-summary.txt; about 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
PARTS=${PARTS:-/root/gpu-parts}

pack() {
  local pub=/tmp/pipeline-gpu-publish stage=/tmp/pipeline-gpu-stage
  rm -rf "$pub" "$stage" .gpu && mkdir -p "$stage/app" "$stage/photos" .gpu
  dotnet publish src/Cli -c Release -r linux-x64 --self-contained -o "$pub" -v q -nologo
  (cd "$pub" && tar cf - --exclude='libtorch*' --exclude='libc10*' --exclude='libgomp*' --exclude='libshm*' \
      --exclude='libjitbackend_test*' --exclude='libnnapi_backend*' --exclude='libbackend_with_compiler*' \
      --exclude='libaoti_custom_ops*' --exclude='libHarfBuzzSharp*' --exclude='libLdaNative*' \
      --exclude='libmscordaccore*' --exclude='libmscordbi*' --exclude='*.pdb' .) | tar xf - -C "$stage/app"
  for c in cat dog; do
    mkdir -p "$stage/photos/$c"
    for i in $(seq 1 128); do cp "../shared/data/cats-vs-dogs-small/train/$c/$c.$i.jpg" "$stage/photos/$c/"; done
  done
  tar cf - -C "$stage" . | xz -T0 -6 | split -b 58m -d -a 2 - /tmp/pipeline-gpu-part-
  local n=0
  for f in /tmp/pipeline-gpu-part-*; do mkdir -p ".gpu/p$n"; mv "$f" ".gpu/p$n/"; n=$((n + 1)); done
  du -sh .gpu/p*
}

device() {
  local app=/root/gpu-app
  rm -rf "$app" && mkdir -p "$app"
  cat "$PARTS"/pipeline-gpu-part-* | xz -d | tar xf - -C "$app"
  local site
  site=$(python3 -c 'import nvidia, os; print(os.path.dirname(list(nvidia.__path__)[0]))')
  export LD_LIBRARY_PATH=$(find "$site/nvidia" -maxdepth 2 -type d -name lib | tr '\n' ':')${LD_LIBRARY_PATH:-}
  export DOTNET_gcServer=0
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  local P="$app/app/pipeline" out=${OUT:-/tmp}
  "$P" models synth vgg16 --out /tmp/vgg16-synthetic.onnx --seed 1
  for b in 32 128; do
    "$P" bench --data "$app/photos" --images 256 --device cuda --batch $b | tee "$out/resnet18-b$b.txt"
    "$P" bench --data "$app/photos" --images 256 --device cuda --batch $b --json > "$out/resnet18-b$b.json"
  done
  "$P" bench --data "$app/photos" --images 256 --device cuda --batch 32 --backbone vgg16 --model /tmp/vgg16-synthetic.onnx | tee "$out/vgg16-b32.txt"
  "$P" bench --data "$app/photos" --images 256 --device cuda --batch 32 --backbone vgg16 --model /tmp/vgg16-synthetic.onnx --json > "$out/vgg16-b32.json"
  "$P" extract --data "$app/photos" --out /tmp/gpu-cache --device cuda --json --quiet > "$out/extract.json"
  "$P" info /tmp/gpu-cache | tee "$out/info.txt"
}

scale() {
  # PIPELINE, DEVICE, IMAGES and OUT may be overridden: a CPU dry run of this very script is
  #   PIPELINE="dotnet src/Cli/bin/Release/net10.0/pipeline.dll" DEVICE=cpu IMAGES=600 APP_PHOTOS=../shared/data/cats-vs-dogs-small/train bench/gpu/run.sh scale
  local app=/root/gpu-app out=${OUT:-/tmp} n=${IMAGES:-25000} device=${DEVICE:-cuda}
  local P=${PIPELINE:-$app/app/pipeline} photos=/dev/shm/photos-$n
  local site
  if site=$(python3 -c 'import nvidia, os; print(os.path.dirname(list(nvidia.__path__)[0]))' 2>/dev/null); then
    export LD_LIBRARY_PATH=$(find "$site/nvidia" -maxdepth 2 -type d -name lib | tr '\n' ':')${LD_LIBRARY_PATH:-}
  fi
  export DOTNET_gcServer=0
  local smi=(true)
  command -v nvidia-smi >/dev/null && smi=(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 100)
  [ -f /tmp/vgg16-synthetic.onnx ] || $P models synth vgg16 --out /tmp/vgg16-synthetic.onnx --seed 1
  [ -d "$photos" ] || $P bench photos --from "${APP_PHOTOS:-$app/photos}" --out "$photos" --count "$n" | tee "$out/scale-photos.txt"
  { echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"; command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; } > "$out/scale-machine.txt"
  local vgg=(--backbone vgg16 --model /tmp/vgg16-synthetic.onnx)
  for model in resnet18 vgg16; do
    local args=(); [ "$model" = vgg16 ] && args=("${vgg[@]}")
    for precision in fp32 tf32 fp16; do
      $P bench --data "$photos" --images "$n" --rounds 2 --device "$device" --batch 128 --precision $precision "${args[@]}" --json \
        > "$out/scale-$model-$precision-b128.json"
    done
  done
  for b in 32 64 256; do
    $P bench --data "$photos" --images "$n" --rounds 1 --device "$device" --batch $b --precision fp16 --json > "$out/scale-resnet18-fp16-b$b.json"
  done
  for model in resnet18 vgg16; do
    local args=(); [ "$model" = vgg16 ] && args=("${vgg[@]}")
    rm -rf "/dev/shm/cache-$model"
    "${smi[@]}" > "$out/scale-extract-$model-gpu-util.txt" &
    local sampler=$!
    /usr/bin/time -f '%e s wall, %M KB peak RSS' $P extract --data "$photos" --out "/dev/shm/cache-$model" --device "$device" --batch 128 \
      --precision fp16 "${args[@]}" --json --quiet > "$out/scale-extract-$model.json" 2> "$out/scale-extract-$model-time.txt"
    kill $sampler 2>/dev/null || true
  done
  python3 - "$out" <<'PY' | tee "$out/scale-summary.txt"
import json, sys, glob, os, statistics
out = sys.argv[1]
print(open(os.path.join(out, "scale-machine.txt")).read().strip())
print("| model | precision | batch | inference alone img/s | end to end img/s | e2e / inference |")
print("|---|---|---|---|---|---|")
for f in sorted(glob.glob(os.path.join(out, "scale-*-b*.json"))):
    r = json.load(open(f))["report"]
    name = os.path.basename(f)[6:-5].split("-")
    print(f"| {name[0]} | {name[1]} | {r['batch']} | {r['inferenceImagesPerSecond']:.0f} | {r['endToEndImagesPerSecond']:.0f} | {r['endToEndImagesPerSecond'] / r['inferenceImagesPerSecond']:.3f} |")
for model in ("resnet18", "vgg16"):
    e = json.load(open(os.path.join(out, f"scale-extract-{model}.json")))
    util = [float(x) for x in open(os.path.join(out, f"scale-extract-{model}-gpu-util.txt")).read().split() if x.strip()]
    busy = [u for u in util if u > 0]
    stages = [s["stages"] for s in e["splits"]]
    worker_s = sum(s["read"] + s["decode"] + s["preprocess"] for s in stages)
    print(f"extract {model} fp16 batch 128: {e['computed']} images in {e['seconds']:.1f} s = {e['imagesPerSecond']:.0f} img/s; "
          f"GPU utilisation median {statistics.median(util) if util else float('nan'):.0f} % over {len(util)} samples "
          f"({statistics.mean(busy) if busy else float('nan'):.0f} % mean while busy); "
          f"decode workers busy {worker_s / (e['workers'] * e['seconds']):.0%} of {e['workers']} x wall; "
          + open(os.path.join(out, f"scale-extract-{model}-time.txt")).read().strip().splitlines()[-1])
PY
}

case "${1:-}" in
  pack) pack ;;
  device) device ;;
  scale) scale ;;
  *) echo "usage: $0 pack|device|scale" >&2; exit 2 ;;
esac
