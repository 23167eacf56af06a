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
set -euo pipefail
cd "$(dirname "$0")/../.."
PARTS=${PARTS:-/root/gpu-parts}

pack() {
  local pub=/tmp/pipeline-gpu-publish stage=/tmp/pipeline-gpu-stage
  rm -rf "$pub" "$stage" .gpu && mkdir -p "$stage/app" "$stage/photos" .gpu
  dotnet publish src/Cli -c Release -r linux-x64 --self-contained -o "$pub" -v q -nologo
  (cd "$pub" && tar cf - --exclude='libtorch*' --exclude='libc10*' --exclude='libgomp*' --exclude='libshm*' \
      --exclude='libjitbackend_test*' --exclude='libnnapi_backend*' --exclude='libbackend_with_compiler*' \
      --exclude='libaoti_custom_ops*' --exclude='libSkiaSharp*' --exclude='libHarfBuzzSharp*' --exclude='libLdaNative*' \
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

case "${1:-}" in
  pack) pack ;;
  device) device ;;
  *) echo "usage: $0 pack|device" >&2; exit 2 ;;
esac
