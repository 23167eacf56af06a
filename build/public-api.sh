#!/usr/bin/env bash
# Adds every public symbol the PublicApiAnalyzers report as undeclared (RS0016) to that project's
# PublicAPI.Unshipped.txt: run it after a deliberate change to the libraries' surface, then review the diff.
set -euo pipefail
cd "$(dirname "$0")/.."
for p in Extractor Head; do
  dotnet build "src/$p/$p.csproj" -c Release --nologo 2>&1 | grep 'error RS0016' \
    | sed -E "s/.*Symbol '(.*)' is not part of the declared.*/\1/" | sort -u >> "src/$p/PublicAPI.Unshipped.txt" || true
done
git diff --stat -- 'src/*/PublicAPI.*.txt'
