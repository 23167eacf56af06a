#!/usr/bin/env bash
# A one-node Slurm for the tests: munged, slurmctld and slurmd on this machine, every file under DIR.
#   slurm-cluster.sh start DIR      prints SLURM_CONF=DIR/slurm.conf once the node is idle; exit 1 with the reason otherwise
#   slurm-cluster.sh stop DIR       stops what start started (and only that), leaving the machine as it was
# Needs root and Debian's slurm-wlm and munge (.ci/run installs them).
set -euo pipefail
cmd=$1; dir=$(realpath -m "$2")
conf="$dir/slurm.conf"
case "$cmd" in
start)
  for tool in slurmctld slurmd munged sbatch; do
    command -v "$tool" >/dev/null || { echo "slurm: $tool not found (apt-get install slurm-wlm munge)" >&2; exit 1; }
  done
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
  chmod 700 "$dir/munge"
  host=$(hostname -s); cpus=$(nproc); mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
  # munge: our own daemon and socket, with the machine's key (made by the package) or one of our own.
  key=/etc/munge/munge.key
  if [ ! -r "$key" ]; then key="$dir/munge/munge.key"; dd if=/dev/urandom of="$key" bs=1024 count=1 status=none; chmod 400 "$key"; fi
  munged --socket="$dir/munge/munge.socket" --key-file="$key" --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" -f
  cat > "$conf" <<CONF
ClusterName=pipeline-test
SlurmctldHost=$host
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MaxArraySize=1001
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
  export SLURM_CONF="$conf"
  slurmctld -f "$conf"
  slurmd -f "$conf"
  for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qx idle; then echo "SLURM_CONF=$conf"; exit 0; fi
    sleep 1
  done
  echo "slurm: the node did not become idle in 60 s: $(sinfo -h -o '%T %E' 2>&1 | head -1); $(tail -3 "$dir/log/slurmctld.log" 2>/dev/null | tr '\n' ' ')" >&2
  exit 1
  ;;
stop)
  export SLURM_CONF="$conf"
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
  done
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    for _ in $(seq 50); do
      if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then sleep 0.1; else break; fi
    done
  done
  ;;
esac
