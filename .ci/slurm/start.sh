#!/usr/bin/env bash
# Install, configure and start a single-node SLURM cluster on this machine (Debian, as root).
#
#   .ci/slurm/start.sh                 # munged + slurmctld + slurmd, no job accounting
#   .ci/slurm/start.sh --accounting    # also MariaDB + slurmdbd, so that sacct works
#
# Idempotent: packages already installed are not reinstalled and daemons already running (by
# the pid files under $STAN_SLURM_DIR/run) are left alone. Stop everything with .ci/slurm/stop.sh.
# Exit status: 0 cluster up, 2 cannot be done on this machine (not root, no apt-get, or a
# SLURM configuration that this script did not write), 1 anything else (see the log files).
#
# Environment: STAN_SLURM_DIR (default /var/lib/stan-slurm-ci) holds state, logs and pid files;
# STAN_SLURM_ACCOUNTING=1 is the same as --accounting.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="${STAN_SLURM_DIR:-/var/lib/stan-slurm-ci}"
ACCOUNTING="${STAN_SLURM_ACCOUNTING:-0}"
MARKER="stan-slurm-ci"
CONF=/etc/slurm/slurm.conf
GRES_CONF=/etc/slurm/gres.conf
DBD_CONF=/etc/slurm/slurmdbd.conf
DB_PASS="stan-ci-local-only" # MariaDB account reachable only through the local socket

for arg in "$@"; do
    case "$arg" in
        --accounting) ACCOUNTING=1 ;;
        -h | --help)
            sed -n '2,13p' "$0"
            exit 0
            ;;
        *)
            echo "start.sh: unknown argument '$arg' (known: --accounting)" >&2
            exit 1
            ;;
    esac
done

say() { echo "[slurm-ci] $*"; }
cannot() {
    echo "[slurm-ci] cannot start a local SLURM cluster: $*" >&2
    exit 2
}
fail() {
    echo "[slurm-ci] ERROR: $*" >&2
    for log in "$DIR"/log/*.log; do
        [ "${log##*/}" = apt.log ] && continue
        [ -s "$log" ] && {
            echo "--- last lines of $log" >&2
            tail -n 15 "$log" >&2
        }
    done
    exit 1
}

# wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.2 s until it succeeds.
wait_for() {
    local limit=$1 what=$2 i
    shift 2
    for ((i = 0; i < limit * 5; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    fail "$what did not come up within ${limit} s"
}

# alive PIDFILE NAME: the pid file names a running process whose command is NAME.
alive() {
    local pid
    [ -s "$1" ] || return 1
    pid="$(tr -dc '0-9' <"$1")"
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$2" ]
}

[ "$(id -u)" -eq 0 ] ||
    cannot "this script must run as root (it installs packages and runs daemons as root)"
mkdir -p "$DIR"/{run,log,state/slurmctld,state/slurmd} /etc/slurm

# ---------------------------------------------------------------- packages
packages=(munge slurmctld slurmd slurm-client)
[ "$ACCOUNTING" = 1 ] && packages+=(slurmdbd mariadb-server)
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    command -v apt-get >/dev/null ||
        cannot "packages ${missing[*]} are missing and there is no apt-get"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_log="$DIR/log/apt.log"
    apt_install() {
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$apt_log" 2>&1
    }
    if ! apt_install; then
        apt-get update -qq >>"$apt_log" 2>&1 ||
            cannot "apt-get update failed (no package mirror?); see $apt_log"
        apt_install || cannot "apt-get install ${missing[*]} failed; see $apt_log"
    fi
fi

exec 9>"$DIR/start.lock"
# Daemons started below get "9>&-" so that they do not inherit (and keep) this lock.
flock -w 60 9 || fail "another start.sh holds $DIR/start.lock"

# ---------------------------------------------------------------- configuration
NODE="$(hostname -s)"
if ! getent hosts "$NODE" >/dev/null; then
    say "adding '127.0.0.1 $NODE' to /etc/hosts so that the node name resolves"
    echo "127.0.0.1 $NODE" >>/etc/hosts
fi
# The node's CPU layout and memory exactly as slurmd sees them (a mismatch drains the node).
HARDWARE="$(slurmd -C | head -n 1 | tr ' ' '\n' | grep -v '^NodeName=' | xargs)"
if [ "$ACCOUNTING" = 1 ]; then
    ACCT_LINES="AccountingStorageType=accounting_storage/slurmdbd\nAccountingStorageHost=localhost"
else
    ACCT_LINES="AccountingStorageType=accounting_storage/none"
fi

# render TEMPLATE TARGET MODE: fill the template; refuse to replace a file this script did not
# write; fail when the daemons run with a different configuration than the one rendered now.
render() {
    local tmp
    tmp="$(mktemp "$2.XXXXXX")"
    sed -e "s|@NODE@|$NODE|g" -e "s|@DIR@|$DIR|g" -e "s|@HARDWARE@|$HARDWARE|g" \
        -e "s|@ACCOUNTING@|$ACCT_LINES|g" -e "s|@DBPASS@|$DB_PASS|g" "$1" >"$tmp"
    chmod "$3" "$tmp"
    if [ -e "$2" ] && ! grep -q "$MARKER" "$2"; then
        rm -f "$tmp"
        cannot "$2 exists and was not written by this script (a site SLURM?); not touching it"
    fi
    if [ -e "$2" ] && cmp -s "$tmp" "$2"; then
        rm -f "$tmp"
        return 0
    fi
    if alive "$DIR/run/slurmctld.pid" slurmctld; then
        rm -f "$tmp"
        fail "the cluster runs with another $2 (started with/without --accounting?);" \
            "run .ci/slurm/stop.sh first"
    fi
    mv -f "$tmp" "$2"
}
render "$HERE/slurm.conf.in" "$CONF" 644
render "$HERE/gres.conf.in" "$GRES_CONF" 644
[ "$ACCOUNTING" = 1 ] && render "$HERE/slurmdbd.conf.in" "$DBD_CONF" 600

# ---------------------------------------------------------------- munged
if alive "$DIR/run/munged.pid" munged; then
    say "munged already running"
else
    [ -s /etc/munge/munge.key ] || runuser -u munge -- mungekey --create
    mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
    runuser -u munge -- /usr/sbin/munged --force </dev/null >>"$DIR/log/munged.log" 2>&1 9>&-
    wait_for 10 "munged (its pid file)" test -s /run/munge/munged.pid
    cp /run/munge/munged.pid "$DIR/run/munged.pid"
    say "munged started (pid $(cat "$DIR/run/munged.pid"))"
fi
wait_for 10 "munge authentication" sh -c 'munge -n | unmunge'

# ---------------------------------------------------------------- accounting (optional)
if [ "$ACCOUNTING" = 1 ]; then
    if alive "$DIR/run/mariadbd.pid" mariadbd; then
        say "mariadbd already running"
    else
        # mariadbd runs as the mysql user: its pid file and log must be writable by it.
        mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
        touch "$DIR/log/mariadb.log" && chown mysql:mysql "$DIR/log/mariadb.log"
        [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql >>"$DIR/log/mariadb.log" 2>&1
        rm -f /run/mysqld/mariadbd.pid
        setsid /usr/sbin/mariadbd --user=mysql --pid-file=/run/mysqld/mariadbd.pid \
            --socket=/run/mysqld/mysqld.sock --skip-networking \
            --log-error="$DIR/log/mariadb.log" </dev/null >/dev/null 2>&1 9>&- &
        wait_for 30 "MariaDB" mariadb-admin --socket=/run/mysqld/mysqld.sock ping
        wait_for 10 "MariaDB's pid file" test -s /run/mysqld/mariadbd.pid
        cp /run/mysqld/mariadbd.pid "$DIR/run/mariadbd.pid"
        say "mariadbd started (pid $(cat "$DIR/run/mariadbd.pid"))"
    fi
    mariadb --socket=/run/mysqld/mysqld.sock -e "
        CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
        GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
    if alive "$DIR/run/slurmdbd.pid" slurmdbd; then
        say "slurmdbd already running"
    else
        /usr/sbin/slurmdbd </dev/null >>"$DIR/log/slurmdbd.log" 2>&1 9>&-
        wait_for 30 "slurmdbd" sacctmgr -n list cluster
        say "slurmdbd started (pid $(cat "$DIR/run/slurmdbd.pid"))"
    fi
    # The cluster, an account and root's association must exist before slurmctld registers.
    sacctmgr -n list cluster format=cluster | grep -qw stanci ||
        sacctmgr -i add cluster stanci >/dev/null
    sacctmgr -n list account format=account | grep -qw stan || sacctmgr -i add account stan \
        cluster=stanci description="stan CI" organization=stan >/dev/null
    sacctmgr -n list assoc user=root account=stan format=user | grep -qw root ||
        sacctmgr -i add user root account=stan cluster=stanci >/dev/null
fi

# ---------------------------------------------------------------- slurmctld, slurmd
if alive "$DIR/run/slurmctld.pid" slurmctld; then
    say "slurmctld already running"
else
    /usr/sbin/slurmctld </dev/null >>"$DIR/log/slurmctld.log" 2>&1 9>&-
    wait_for 30 "slurmctld" sh -c 'scontrol ping | grep -q UP'
    say "slurmctld started (pid $(cat "$DIR/run/slurmctld.pid"))"
fi
if alive "$DIR/run/slurmd.pid" slurmd; then
    say "slurmd already running"
else
    /usr/sbin/slurmd </dev/null >>"$DIR/log/slurmd.log" 2>&1 9>&-
    wait_for 30 "slurmd (its pid file)" test -s "$DIR/run/slurmd.pid"
    say "slurmd started (pid $(cat "$DIR/run/slurmd.pid"))"
fi

node_state() { sinfo -h -N -n "$NODE" -o %T 2>/dev/null; }
for ((i = 0; i < 150; i++)); do
    state="$(node_state)"
    case "$state" in
        idle | mixed | allocated) break ;;
        *drain* | down*)
            # e.g. left drained by an earlier run with another configuration
            scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
            ;;
    esac
    sleep 0.2
done
case "$(node_state)" in
    idle | mixed | allocated) ;;
    *)
        reason="$(scontrol show node "$NODE" | grep -o 'Reason=.*' || true)"
        fail "node $NODE is '$(node_state)': $reason"
        ;;
esac
say "cluster up: node $NODE ($HARDWARE) $(node_state) in partition debug," \
    "accounting=$ACCOUNTING, state in $DIR"
