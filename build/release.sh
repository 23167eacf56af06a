#!/usr/bin/env bash
# Release archives: self-contained linux-x64 folders of the pipeline command, tar.gz'd, for machines without .NET.
#   build/release.sh [OUT]            → OUT/pipeline-<version>-linux-x64-cpu.tar.gz and -cuda.tar.gz (OUT: .dist)
# The version is the newest git tag (v0.3.0 → 0.3.0) when there is one, else Directory.Build.props'.
# cpu:  ONNX Runtime's CPU provider only; TorchSharp's CPU libtorch; neither flavour has libtorch_python (build/Flavour.targets).
# cuda: ONNX Runtime with its CUDA provider (CUDA 13, cuDNN 9 on the machine); TorchSharp's CUDA libtorch where the
#       NuGet feed serves it (TORCH_CUDA=true: libtorch-cuda-12.8-linux-x64), else the head trains on the CPU.
# FLAVOURS="cpu" makes one.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-.dist}")
version=$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null | sed 's/^v//' || true)
version=${version:-$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)}
mkdir -p "$out"
for flavour in ${FLAVOURS:-cpu cuda}; do
  name="pipeline-$version-linux-x64-$flavour"
  rm -rf "${out:?}/$name" "$out/$name.tar.gz"
  torch_cuda=false
  if [ "$flavour" = cuda ]; then torch_cuda=${TORCH_CUDA:-false}; fi
  dotnet publish src/Cli/Cli.csproj -c Release -r linux-x64 --self-contained true -p:Version="$version" \
    -p:Flavour="$flavour" -p:TorchCuda="$torch_cuda" -p:PackAsTool=false -o "$out/$name" --nologo -v quiet
  cp README.md LICENSE "$out/$name/"
  tar -C "$out" -czf "$out/$name.tar.gz" "$name"
  printf '%s\t%s MB unpacked\t%s MB gzipped\n' "$name.tar.gz" \
    "$(du -sm "$out/$name" | cut -f1)" "$(( $(stat -c %s "$out/$name.tar.gz") / 1048576 ))"
done
