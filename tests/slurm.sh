#!/usr/bin/env bash
# A real SLURM on this one machine, for the run-script tests (see
# ../shared/SLURM.md): munge, slurmctld and two slurmd pretending to be Cori
# KNL nodes (272 CPUs, feature knl) on 127.0.0.1.
#   tests/slurm.sh start DIR   starts it with state under DIR; prints nothing on success
#   tests/slurm.sh stop DIR    stops every daemon and removes DIR
set -u
cmd=$1 dir=$2

stop() {
    scancel --full --quiet -u root 2>/dev/null || true
    for pidfile in "$dir"/*.pid; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
    done
    for _ in $(seq 20); do
        local alive=0
        for pidfile in "$dir"/*.pid; do
            [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && alive=1
        done
        [ $alive -eq 0 ] && break
        sleep 0.5
    done
    for pidfile in "$dir"/*.pid; do
        [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null
    done
    rm -rf "$dir"
}

start() {
    local host
    host=$(hostname -s)
    rm -rf "$dir"; mkdir -p "$dir"/{state,spool,tmp,munge}
    # munge
    mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null
    if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        [ -f /etc/munge/munge.key ] || { /usr/sbin/mungekey --create 2>/dev/null || /usr/sbin/create-munge-key -f; chown munge:munge /etc/munge/munge.key; }
        runuser -u munge -- /usr/sbin/munged || return 1
        for _ in $(seq 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
    fi
    munge -n | unmunge >/dev/null || { echo "munge does not work" >&2; return 1; }
    local mem
    mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.8 }' /proc/meminfo)
    mkdir -p /etc/slurm
    cat > /etc/slurm/slurm.conf <<CONF
ClusterName=hepcnn-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
# A requeued job is held cred_expire + 1 s (121 s by default) and then
# waits for the scheduler's next pass (60 s): here 6 s and 1 s.
AuthInfo=cred_expire=5
SchedulerParameters=sched_interval=1,bf_interval=1
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
ReturnToService=2
SlurmctldPort=16817
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd-%n.log
TmpFS=$dir/tmp/%n
SlurmdParameters=config_overrides
Licenses=SCRATCH
NodeName=n[1-2] NodeHostname=$host NodeAddr=127.0.0.1 Port=17001-17002 CPUs=272 Boards=1 SocketsPerBoard=1 CoresPerSocket=68 ThreadsPerCore=4 RealMemory=$mem Feature=knl,haswell State=UNKNOWN
PartitionName=debug Nodes=n[1-2] Default=YES MaxTime=INFINITE State=UP OverSubscribe=EXCLUSIVE
CONF
    mkdir -p "$dir/tmp/n1" "$dir/tmp/n2" "$dir/spool/n1" "$dir/spool/n2"
    slurmctld || return 1
    slurmd -N n1 || return 1
    slurmd -N n2 || return 1
    for _ in $(seq 60); do
        [ "$(sinfo -h -o %T 2>/dev/null | sort -u)" = "idle" ] && return 0
        sleep 0.5
    done
    echo "SLURM did not come up:" >&2; sinfo >&2; tail -5 "$dir"/*.log >&2
    return 1
}

case $cmd in
    start) start ;;
    stop) stop ;;
    *) echo "usage: tests/slurm.sh start|stop DIR" >&2; exit 2 ;;
esac
