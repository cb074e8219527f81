#!/usr/bin/env bash
# Stop the local SLURM cluster that .ci/slurm/start.sh started, by the pid files it keeps under
# $STAN_SLURM_DIR/run (default /var/lib/stan-slurm-ci/run); never by process name. A pid file
# whose process is gone or is another program is removed without killing anything.
# Jobs still running on the node are killed by slurmd's exit or left as orphans of it; state and
# logs stay in $STAN_SLURM_DIR for inspection (rm -rf it for a clean slate).
set -euo pipefail

DIR="${STAN_SLURM_DIR:-/var/lib/stan-slurm-ci}"
say() { echo "[slurm-ci] $*"; }

# stop NAME: TERM the process in $DIR/run/NAME.pid, wait up to 15 s, then KILL.
stop() {
    local name=$1 file="$DIR/run/$1.pid" pid i
    [ -s "$file" ] || return 0
    pid="$(tr -dc '0-9' <"$file")"
    if [ -z "$pid" ] || [ ! -r "/proc/$pid/comm" ] ||
        [ "$(cat "/proc/$pid/comm")" != "$name" ]; then
        say "$name: not running (stale pid file removed)"
        rm -f "$file"
        return 0
    fi
    kill -TERM "$pid"
    for ((i = 0; i < 75; i++)); do
        [ -d "/proc/$pid" ] || break
        sleep 0.2
    done
    if [ -d "/proc/$pid" ]; then
        say "$name (pid $pid) ignored SIGTERM for 15 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
    say "$name (pid $pid) stopped"
}

# Reverse start order: the node daemon first, munged (which the others need) last.
for name in slurmd slurmctld slurmdbd mariadbd munged; do
    stop "$name"
done
