#!/usr/bin/env bash
# Scale benchmark (issue 30): N synthetic 32x32 photos, then extract (tiny synthetic backbone), train, audit and
# predict, each under /usr/bin/time -v; prints seconds and peak RSS per stage, and the growth exponent between
# consecutive sizes (log(cost ratio) / log(size ratio): 1 is linear, 2 quadratic).
#   bash bench/scale/run.sh [N ...]          default: 10000 40000
#   WORK=/tmp/scale bash bench/scale/run.sh 10000 40000 160000
# Needs the CLI built: dotnet build src/Cli -c Release. Writes only under $WORK.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=("${@:-10000 40000}")
[ $# -eq 0 ] && SIZES=(10000 40000)
WORK=${WORK:-/tmp/pipeline-scale}
P=${PIPELINE:-src/Cli/bin/Release/net10.0/pipeline}
mkdir -p "$WORK"
[ -f "$WORK/tiny.onnx" ] || "$P" models synth tiny --out "$WORK/tiny.onnx" --seed 1 >/dev/null
TABLE="$WORK/table.tsv"
: > "$TABLE"

measure() {   # measure N STAGE COMMAND...: appends "N stage seconds peak_MB" to the table
  local n=$1 stage=$2; shift 2
  /usr/bin/time -v -o "$WORK/time.txt" "$@" > "$WORK/$stage-$n.out" 2> "$WORK/$stage-$n.err" || { echo "$stage at $n failed:"; tail -5 "$WORK/$stage-$n.err"; exit 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$WORK/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$WORK/time.txt")
  printf '%s\t%s\t%s\t%s\n' "$n" "$stage" "$wall" "$rss" | tee -a "$TABLE"
}

for n in "${SIZES[@]}"; do
  data="$WORK/photos-$n"
  [ -d "$data" ] || /usr/bin/python3 bench/scale/make_photos.py "$data" "$n"
  rm -rf "$WORK/cache-$n" "$WORK/head-$n"
  measure "$n" extract "$P" extract --data "$data" --split train=0.8,validation=0.1,test=0.1 --out "$WORK/cache-$n" \
    --backbone "$WORK/tiny.onnx" --preprocess torch --device cpu
  measure "$n" train "$P" train --cache "$WORK/cache-$n" --out "$WORK/head-$n" --folds 0 --epochs 3 --head-device cpu
  measure "$n" audit "$P" audit --cache "$WORK/cache-$n" --folds 2 --head-device cpu --json
  measure "$n" predict "$P" predict --head "$WORK/head-$n" "$data" --backbone "$WORK/tiny.onnx" --device cpu --csv
done

echo
echo "| stage | N | seconds | peak RSS (MB) | exponent (time) | exponent (RSS) |"
echo "|---|---:|---:|---:|---:|---:|"
awk -F'\t' '{ key = $2; if (key in t) { et = log($3 / t[key]) / log($1 / n[key]); er = log($4 / r[key]) / log($1 / n[key]); e1 = sprintf("%.2f", et); e2 = sprintf("%.2f", er) } else { e1 = "–"; e2 = "–" }
  printf "| %s | %s | %.1f | %s | %s | %s |\n", $2, $1, $3, $4, e1, e2; t[key] = $3; r[key] = $4; n[key] = $1 }' "$TABLE" | sort -t'|' -k2,2 -s
