#!/usr/bin/env bash
# test_slurm.sh HD_BINARY — scripts/experiment.sh --slurm on a one-node Slurm cluster that
# this test starts on localhost (munged, slurmctld, slurmd, all in a temporary folder and
# on their own ports), then stops. It submits the `tiny` setting for seeds 0 and 1 — four
# tasks: task 0, then a job array of three, then the summary — waits, and checks the
# summary that `hd summarize` gathered and its plots. Exit 77 (CTest: skipped) when
# Slurm or munge is not installed or the daemons cannot start here; the reason is printed.
set -euo pipefail
hd_binary=$1
root="$(cd "$(dirname "$0")/../.." && pwd)"
skip() { echo "SKIPPED: $*"; exit 77; }
for tool in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v $tool >/dev/null || skip "$tool is not installed (Debian: slurm-wlm, munge)"
done

work=$(mktemp -d /tmp/hd_slurm_test.XXXXXX)
export SLURM_CONF=$work/slurm.conf
stop() {
  scontrol shutdown >/dev/null 2>&1 || true
  [ -f "$work/munged.pid" ] && kill "$(cat "$work/munged.pid")" 2>/dev/null || true
  sleep 1
  rm -rf "$work"
}
trap stop EXIT

mkdir -p "$work/state" "$work/spool" "$work/runs"
head -c 128 /dev/urandom >"$work/munge.key" && chmod 600 "$work/munge.key"
munged --force --key-file="$work/munge.key" --socket="$work/munge.sock" --pid-file="$work/munged.pid" \
  --log-file="$work/munged.log" --seed-file="$work/munge.seed" || skip "munged does not start: $(tail -1 "$work/munged.log" 2>/dev/null)"
host=$(hostname -s)
port=$((20000 + RANDOM % 20000))
cat >"$SLURM_CONF" <<CONF
ClusterName=hdtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$work/munge.sock
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=hdtest Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -i || skip "slurmctld does not start: $(tail -1 "$work/slurmctld.log" 2>/dev/null)"
slurmd || skip "slurmd does not start: $(tail -1 "$work/slurmd.log" 2>/dev/null)"
for _ in $(seq 30); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 1; done
sinfo -h -o %T | grep -q idle || skip "the node never became idle: $(sinfo 2>&1 | tail -1)"
echo "one-node cluster up: $(sinfo -h -o '%P %D %T %N')"

submitted=$(HD_BINARY=$hd_binary HD_RUNS_DIR=$work/runs HD_SLURM_CPUS=1 "$root/scripts/experiment.sh" --slurm tiny 0 1)
echo "$submitted"
summary_job=$(sed -n 's/.*the summary (job \([0-9]*\)).*/\1/p' <<<"$submitted")
[ -n "$summary_job" ] || { echo "FAILED: experiment.sh --slurm did not report a summary job"; exit 1; }
for _ in $(seq 300); do
  squeue -h -j "$summary_job" 2>/dev/null | grep -q . || break
  sleep 1
done
! squeue -h -j "$summary_job" 2>/dev/null | grep -q . || { echo "FAILED: the jobs did not finish in 300 s"; squeue; exit 1; }

summary=$work/runs/tiny/summary.md
[ -f "$summary" ] || { echo "FAILED: no $summary"; tail -n 5 "$work"/runs/tiny/slurm/*.log; exit 1; }
cat "$summary"
grep -q "^4 metrics files" "$summary" || { echo "FAILED: the summary does not gather the four tasks"; exit 1; }
for row in "| A (flat) | animal | 2 |" "| B (hierarchical) | vehicle | 2 |"; do
  grep -qF "$row" "$summary" || { echo "FAILED: no row '$row' (two seeds per model)"; exit 1; }
done
for png in summary_quality_diversity.png summary_imbalance.png; do
  [ -s "$work/runs/tiny/$png" ] || { echo "FAILED: the summary job drew no $png"; exit 1; }
done
for k in 0 1 2 3; do
  grep -q "== task $k: seed" "$work/runs/tiny/slurm/task_$k.log" || { echo "FAILED: task $k did not run"; exit 1; }
done
echo "PASSED: 4 tasks (task 0, then an array of 3) and the summary ran on the one-node cluster"
