#!/usr/bin/env bash
# The whole job on a Slurm cluster in one command: an extraction array, then merge and train once it all succeeded.
#   deploy/slurm/submit.sh DATA CACHE TASKS [sbatch options for the array, e.g. --gres=gpu:1 --partition=gpu]
# EXTRACT_ARGS and TRAIN_ARGS pass extract and train options; HEAD names the head's folder (default CACHE/../head).
# If a task fails, the train job stays pending with reason DependencyNeverSatisfied: see `sacct -j JOB`,
# fix the cause, resubmit the failed index (sbatch --array=I ... extract.sbatch: it resumes), then
# `sbatch --dependency=afterok:NEWJOB --export=ALL,CACHE=... merge-train.sbatch` (or scancel the stale one).
set -euo pipefail
if [ $# -lt 3 ]; then echo "usage: $0 DATA CACHE TASKS [sbatch options]" >&2; exit 2; fi
data=$(realpath "$1"); cache=$(realpath -m "$2"); tasks=$3; shift 3
here=$(dirname "$(realpath "$0")")
export DATA="$data" CACHE="$cache" EXTRACT_ARGS="${EXTRACT_ARGS:-}" TRAIN_ARGS="${TRAIN_ARGS:-}" HEAD="${HEAD:-$(dirname "$cache")/head}"
array=$(sbatch --parsable --array=0-$((tasks - 1)) --export=ALL "$@" "$here/extract.sbatch")
train=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=no --export=ALL "$here/merge-train.sbatch")
echo "extraction array $array ($tasks tasks), then merge + train $train; watch: squeue -j $array,$train; sacct -j $array"
