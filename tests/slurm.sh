#!/bin/sh
# slurm.sh: `make test-slurm`.  Runs `./experiment sweep --sbatch` on a real
# single-node Slurm started for the test: Debian's slurmctld, slurmd and munge
# (installed if missing), a generated slurm.conf (one node with this machine's
# CPUs, state, spool, logs and pid files in a temporary folder), munged on a
# private socket with the packaged key.  Needs root (the daemons run as root).
# On a tiny data set (tiny-mnist.sh), a 6-point sweep of 1 epoch as an array of
# 3 tasks must record every run exactly once with the metrics of the same sweep
# run without Slurm; then a longer sweep whose task 2 is cancelled while it runs
# must, resubmitted, end with every run once.  The daemons are stopped by their
# pid files at the end, also on failure.
# Exit status: 0 passed, 1 failed, 3 Slurm unavailable here (one line says why).
set -eu

root=$(pwd)
experiment=$root/build/experiment
unavailable() { echo "test-slurm: unavailable: $*"; exit 3; }
fail() { echo "test-slurm: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || unavailable "the test starts slurmctld and slurmd as root; run it as root"
sh harness/tools/deps.sh slurmctld slurmd slurm-client munge >/dev/null 2>&1 ||
    unavailable "Debian's slurmctld, slurmd, slurm-client and munge did not install"
[ -r /etc/munge/munge.key ] || unavailable "munge installed no key (/etc/munge/munge.key)"
[ -x "$experiment" ] || fail "build/experiment is missing (make test-slurm builds it)"

t=$(mktemp -d)
chmod 0755 "$t"
host=$(hostname -s)
# Stops the daemons by their pid files, each waited for (at most 10 s), then
# removes the folder.
stop() {
    for p in slurmd slurmctld munged; do
        pid=$(cat "$t/$p.pid" 2>/dev/null) || continue
        kill "$pid" 2>/dev/null || continue
        i=0
        while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
            sleep 0.1
            i=$((i + 1))
        done
    done
    rm -rf "$t"
}
trap stop EXIT
trap 'exit 1' INT TERM

mkdir -p "$t/munge" "$t/state" "$t/spool"
chown munge:munge "$t/munge"
runuser -u munge -- /usr/sbin/munged --socket="$t/munge/munge.socket" \
    --key-file=/etc/munge/munge.key --pid-file="$t/munge/munged.pid" \
    --log-file="$t/munge/munged.log" --seed-file="$t/munge/munged.seed" ||
    unavailable "munged did not start ($(tail -n 1 "$t/munge/munged.log" 2>/dev/null))"
ln -s "$t/munge/munged.pid" "$t/munged.pid"

export SLURM_CONF="$t/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=simdmlp
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$t/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$t/state
SlurmdSpoolDir=$t/spool
SlurmctldPidFile=$t/slurmctld.pid
SlurmdPidFile=$t/slurmd.pid
SlurmctldLogFile=$t/slurmctld.log
SlurmdLogFile=$t/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -i || unavailable "slurmctld did not start ($(tail -n 1 "$t/slurmctld.log" 2>/dev/null))"
slurmd || unavailable "slurmd did not start ($(tail -n 1 "$t/slurmd.log" 2>/dev/null))"
i=0
until sinfo -h -o %t 2>/dev/null | grep -q idle; do
    i=$((i + 1))
    [ "$i" -le 30 ] || unavailable "the node is not idle in sinfo after 30 s ($(sinfo -h -o %t 2>&1))"
    sleep 1
done
echo "test-slurm: slurmctld and slurmd up, node $host idle after ${i} s"

# Waits until job $1 has left the queue (at most $2 seconds).
wait_job() {
    i=0
    while [ -n "$(squeue -h -j "$1" 2>/dev/null)" ]; do
        i=$((i + 1))
        [ "$i" -le "$2" ] || fail "job $1 still queued after $2 s: $(squeue -j "$1")"
        sleep 1
    done
}
# The run keys of results/$1/runs.csv, one per line, sorted.
keys() { awk -F, 'NR == 1 { for (c = 1; c <= NF; c++) if ($c == "run_id") k = c; next } { print $k }' \
    "results/$1/runs.csv" | sort; }
# Fails unless results/$1/runs.csv holds each of 6 runs exactly once; $2 says when.
each_run_once() {
    keys "$1" >"keys-$1.txt"
    n=$(wc -l <"keys-$1.txt")
    if [ "$n" -ne 6 ] || [ -n "$(uniq -d "keys-$1.txt")" ]; then
        fail "${2}results/$1/runs.csv holds $n runs, want each of 6 once"
    fi
}
# Each run's point, repeat and final metrics (test accuracy and loss), sorted.
metrics() { awk -F, 'NR == 1 { for (c = 1; c <= NF; c++) h[$c] = c; next }
    { print $h["point"], $h["repeat"], $h["test_acc"], $h["test_loss"] }' "results/$1/runs.csv" | sort; }

cd "$t"
sh "$root/harness/tools/tiny-mnist.sh" data 600
printf '[experiment]\nname = local\n[data]\ndir = data\n[model]\nlayers = 784,16,10\n' >sweep.ini
printf '[train]\nepochs = 1\nbatch = 8\n[kernels]\nthreads = 1\n' >>sweep.ini
printf '[sweep]\ntrain.lr = 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016\n' >>sweep.ini

"$experiment" sweep sweep.ini >local.log
"$experiment" sweep sweep.ini --set experiment.name=array --sbatch --array-size 3 >sbatch.log
script=$(sed -n 's/.*submit it with: sbatch //p' sbatch.log)
job=$(sbatch --parsable "$script")
wait_job "$job" 120
[ "$(scontrol -o show job "$job" 2>/dev/null | grep -c 'JobState=COMPLETED')" -eq 3 ] ||
    fail "the 3 tasks of job $job did not all complete: $(scontrol -o show job "$job" | grep -o 'JobState=[A-Z]*' | tr '\n' ' ')"
each_run_once array ""
metrics local >local.txt
metrics array >array.txt
cmp -s local.txt array.txt || fail "the array's metrics differ from the local sweep's: $(diff local.txt array.txt)"
echo "test-slurm: a 6-run sweep as an array of 3 tasks: every run once, the local sweep's metrics"

# Runs of several seconds, so that task 2 is cancelled while it trains.
"$experiment" sweep sweep.ini --set experiment.name=resume --set train.epochs=300 \
    --set model.layers=784,256,10 --sbatch --array-size 3 >sbatch.log
script=$(sed -n 's/.*submit it with: sbatch //p' sbatch.log)
job=$(sbatch --parsable "$script")
i=0
until scontrol -o show job "${job}_2" 2>/dev/null | grep -q 'JobState=RUNNING'; do
    i=$((i + 1))
    [ "$i" -le 60 ] || fail "task 2 of job $job did not start in 60 s"
    sleep 1
done
sleep 1
scancel "${job}_2"
wait_job "$job" 300
scontrol -o show job "${job}_2" | grep -q 'JobState=CANCELLED' ||
    fail "task 2 of job $job was not cancelled mid-run: $(scontrol -o show job "${job}_2" | grep -o 'JobState=[A-Z]*')"
before=$(keys resume | wc -l)
job=$(sbatch --parsable "$script")
wait_job "$job" 300
each_run_once resume "after the resubmit "
echo "test-slurm: task 2 cancelled mid-run ($before of 6 runs recorded), resubmitted: every run once"
echo "test-slurm: passed"
