#!/usr/bin/env bash
# End-to-end test of a liftlab sweep on a real Slurm job array, on this machine.
#
#   bash deploy/slurm/test_slurm.sh LIFTLAB_BINARY GRID [SHARDS]
#
# Installs Slurm and munge from Debian's packages when absent (as root),
# writes a single-node slurm.conf for this machine (`slurmd -C`), starts
# munged, slurmctld and slurmd (each bounded in time, stopped on exit),
# submits the sweep as a job array of SHARDS tasks (default 4), waits for it
# (bounded), merges the shards, runs the same sweep unsharded and compares
# the merged files byte for byte. Prints the job log. Exits non-zero on any
# difference or failure.
set -euo pipefail
LIFTLAB=$(realpath "${1:?usage: test_slurm.sh LIFTLAB_BINARY GRID [SHARDS]}")
GRID=$(realpath "${2:?usage: test_slurm.sh LIFTLAB_BINARY GRID [SHARDS]}")
SHARDS=${3:-4}
HERE=$(cd "$(dirname "$0")" && pwd)
LIMIT=${SLURM_TEST_TIMEOUT:-1500}   # seconds for the daemons and the job
start=$(date +%s)
log() { echo "[test_slurm $(($(date +%s) - start))s] $*"; }

if [ "$(id -u)" != 0 ]; then echo "test_slurm.sh: needs root (installs packages, runs slurmd)" >&2; exit 1; fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    log "installing slurm-wlm and munge"
    timeout 300 apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq slurm-wlm munge >/dev/null
fi
log "slurm-wlm $(dpkg-query -W -f '${Version}' slurm-wlm), $(munged --version 2>&1 | head -1)"

WORK=$(mktemp -d /tmp/liftlab-slurm.XXXXXX)
PIDS=()
STARTED_MUNGE=0
cleanup() {
    set +e
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    if [ "$STARTED_MUNGE" = 1 ] && [ -f /run/munge/munged.pid ]; then kill "$(cat /run/munge/munged.pid)" 2>/dev/null; fi
    log "daemons stopped; work directory $WORK"
}
trap cleanup EXIT

# munge: the key comes with the package; start the daemon unless one runs.
if ! pgrep -x munged >/dev/null; then
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    chmod 0755 /run/munge
    [ -f /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key; }
    runuser -u munge -- /usr/sbin/munged
    STARTED_MUNGE=1
fi
munge -n | unmunge >/dev/null
log "munge works"

HOST=$(hostname -s)
NODE=$(slurmd -C | head -1)
mkdir -p "$WORK/state" "$WORK/spool"
cat > "$WORK/slurm.conf" <<CONF
ClusterName=liftlab-test
SlurmctldHost=$HOST
SlurmUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$WORK/jobcomp.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
MinJobAge=600
$NODE State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$WORK/slurm.conf
log "slurm.conf node line: $NODE"

timeout "$LIMIT" slurmctld -D -i -f "$SLURM_CONF" >"$WORK/slurmctld.out" 2>&1 & PIDS+=($!)
sleep 1
timeout "$LIMIT" slurmd -D -f "$SLURM_CONF" >"$WORK/slurmd.out" 2>&1 & PIDS+=($!)
for _ in $(seq 60); do
    state=$(sinfo -h -o %t 2>/dev/null | head -1 || true)
    [ "$state" = idle ] && break
    sleep 1
done
if [ "${state:-}" != idle ]; then
    log "the node did not come up (state: ${state:-none})"; tail -20 "$WORK"/slurmctld.log "$WORK"/slurmd.log 2>/dev/null; exit 1
fi
log "node $HOST idle: $(sinfo -h -o '%P %D %c CPUs %t')"

cp "$GRID" "$WORK/"
G="$WORK/$(basename "$GRID")"
cd "$WORK"
JOB=$(LIFTLAB="$LIFTLAB" sbatch --parsable --array=0-$((SHARDS - 1)) --chdir="$WORK" \
      --output="$WORK/liftlab-sweep-%A_%a.out" "$HERE/sweep.sbatch" "$G" "$WORK/out-slurm")
log "submitted array job $JOB ($SHARDS tasks)"
deadline=$(( $(date +%s) + LIMIT ))
while [ -n "$(squeue -h -j "$JOB" 2>/dev/null)" ]; do
    if [ "$(date +%s)" -gt "$deadline" ]; then log "job $JOB still queued after ${LIMIT}s"; scancel "$JOB"; exit 1; fi
    sleep 2
done
log "array job $JOB finished"
echo "----- job log (jobcomp/filetxt) -----"
cat "$WORK/jobcomp.log"
for f in "$WORK"/liftlab-sweep-*.out; do echo "----- $(basename "$f") -----"; cat "$f"; done
echo "-----"
bad=$(grep -c -v 'JobState=COMPLETED' "$WORK/jobcomp.log" || true)
tasks=$(grep -c 'JobState=COMPLETED' "$WORK/jobcomp.log" || true)
if [ "$bad" != 0 ] || [ "$tasks" != "$SHARDS" ]; then log "expected $SHARDS COMPLETED tasks, got $tasks (and $bad others)"; exit 1; fi

"$LIFTLAB" sweep merge "$WORK/out-slurm" > "$WORK/merge.txt"
log "merged: $(head -1 "$WORK/merge.txt")"
t0=$(date +%s)
"$LIFTLAB" sweep "$G" --out "$WORK/out-1" > "$WORK/unsharded.txt"
log "unsharded run: $(( $(date +%s) - t0 ))s"
for f in results.jsonl summary.jsonl summary.csv summary.csv.meta.json; do
    cmp "$WORK/out-slurm/$f" "$WORK/out-1/$f"
    log "byte-identical: $f ($(wc -c < "$WORK/out-1/$f") bytes, sha256 $(sha256sum "$WORK/out-1/$f" | cut -c1-16))"
done
log "OK: $SHARDS Slurm array tasks merged byte-identical to the unsharded run"
