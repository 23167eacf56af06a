#!/usr/bin/env bash
# After a deliberate change to the libraries' surface: adds every public symbol the PublicApiAnalyzers report as
# undeclared (RS0016) to that project's PublicAPI.Unshipped.txt and drops the ones no longer there (RS0017).
# Review the diff: it is the change to the surface.
set -euo pipefail
cd "$(dirname "$0")/.."
for p in Extractor Head; do
  file="src/$p/PublicAPI.Unshipped.txt"
  log=$(dotnet build "src/$p/$p.csproj" -c Release --nologo 2>&1 || true)
  grep 'error RS0017' <<<"$log" | sed -E "s/.*Symbol '(.*)' is part of the declared API.*/\1/" | sort -u > /tmp/public-api-gone.$$ || true
  if [ -s /tmp/public-api-gone.$$ ]; then grep -vxFf /tmp/public-api-gone.$$ "$file" > "$file.new" || true; mv "$file.new" "$file"; fi
  grep 'error RS0016' <<<"$log" | sed -E "s/.*Symbol '(.*)' is not part of the declared.*/\1/" | sort -u >> "$file" || true
  rm -f /tmp/public-api-gone.$$
done
git diff --stat -- 'src/*/PublicAPI.*.txt'
