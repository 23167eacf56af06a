#!/usr/bin/env bash
# Side by side, in one run, on the same images and thread count: our extraction vs the peers a
# .NET or Python user would pick instead. Needs Debian's python3-torch and python3-torchvision
# for the PyTorch rows (apt-get install python3-torch python3-torchvision).
#   bench/compare/run.sh [DATA_DIR] [IMAGES]
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data/cats-vs-dogs-small/train}
N=${2:-256}
OUT=$(mktemp -d)
dotnet build -c Release src/Cli -v q -nologo >/dev/null
dotnet build -c Release bench/compare/mlnet -v q -nologo >/dev/null
P="dotnet src/Cli/bin/Release/net10.0/pipeline.dll"
$P models synth vgg16 --out "$OUT/vgg16-synthetic.onnx" --seed 1 >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)" | tee "$OUT/machine.txt"
$P bench --data "$DATA" --images "$N" --batch 32 --device cpu --json > "$OUT/ours-resnet18.json"
$P bench --data "$DATA" --images "$N" --batch 32 --device cpu --json --backbone vgg16 --model "$OUT/vgg16-synthetic.onnx" > "$OUT/ours-vgg16.json"
dotnet bench/compare/mlnet/bin/Release/net10.0/MlNetBaseline.dll "$DATA" "$N" > "$OUT/mlnet-resnet18.json"
if /usr/bin/python3 -c "import torch, torchvision" 2>/dev/null; then
  /usr/bin/python3 bench/compare/torch_baseline.py "$DATA" --model resnet18 --images "$N" --threads "$(nproc)" > "$OUT/torch-resnet18.json"
  /usr/bin/python3 bench/compare/torch_baseline.py "$DATA" --model vgg16 --images "$N" --threads "$(nproc)" > "$OUT/torch-vgg16.json"
fi

/usr/bin/python3 - "$OUT" <<'PY'
import json, os, sys
d = sys.argv[1]
def load(name):
    p = os.path.join(d, name)
    return json.load(open(p)) if os.path.exists(p) else None
ours = {m: load(f"ours-{m}.json") for m in ("resnet18", "vgg16")}
peak = ours["resnet18"]["peakGflops"]
print(f"\nfp32 FMA peak measured: {peak:.0f} GFLOPS\n")
print("| pipeline | img/s | ours end-to-end / it | end-to-end GFLOPS (share of peak) |")
print("|---|---:|---:|---:|")
for m in ("resnet18", "vgg16"):
    r = ours[m]["report"]
    g = r["gflopsPerImage"]
    label = "synthetic VGG16 conv base" if m == "vgg16" else "ResNet18 (packaged)"
    e2e, inf = r["endToEndImagesPerSecond"], r["inferenceImagesPerSecond"]
    print(f"| ours, {label}, inference alone | {inf:.2f} | {e2e / inf:.3f} | {g * inf:.0f} ({g * inf / peak:.0%}) |")
    print(f"| ours, {label}, end to end | {e2e:.2f} | 1.000 | {g * e2e:.0f} ({g * e2e / peak:.0%}) |")
    ours[m]["e2e"], ours[m]["g"] = e2e, g
for name, m, g_peer in (("mlnet-resnet18.json", "resnet18", None), ("torch-resnet18.json", "resnet18", 3.64), ("torch-vgg16.json", "vgg16", 30.7)):
    peer = load(name)
    if peer is None:
        print(f"| {name[:-5]} | not run | | |")
        continue
    ips = peer["images_per_second"]
    flops = "" if g_peer is None else f"{g_peer * ips:.0f} ({g_peer * ips / peak:.0%})"
    if g_peer is None:
        flops = f"{ours[m]['g'] * ips:.0f} ({ours[m]['g'] * ips / peak:.0%})"
    print(f"| {peer['tool']} | {ips:.2f} | {ours[m]['e2e'] / ips:.2f}x | {flops} |")
PY
echo "raw results: $OUT"
