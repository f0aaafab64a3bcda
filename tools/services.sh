#!/usr/bin/env bash
# Local services for development and CI: a PostgreSQL server and a single-node Slurm cluster (munge, slurmctld,
# slurmd), each in its own folder under one temporary directory, on free loopback ports. Nothing in /etc is changed.
#
#   tools/services.sh up       start both (installing Debian's postgresql, slurm-wlm and munge when missing);
#                              prints the environment to use them, e.g. eval "$(tools/services.sh up)"
#   tools/services.sh env      print that environment again (fails when the services are not up)
#   tools/services.sh status   what runs, and where
#   tools/services.sh down     cancel every Slurm job, stop every daemon, delete the directory
#
# The environment printed by up/env:
#   MIDG_TEST_PG_URL   postgresql://postgres@127.0.0.1:<port>/postgres (trust auth, loopback only)
#   MIDG_TEST_SLURM    1 (the tests that need a Slurm cluster use this one)
#   SLURM_CONF         the cluster's slurm.conf (sbatch, squeue, ... read it)
#   MUNGE_SOCKET       not needed by Slurm (slurm.conf names it); for `munge -S`
#
# MIDG_SERVICES_DIR moves the directory (default: ${TMPDIR:-/tmp}/midg-services). `up` is idempotent: services
# already running are kept. Everything is throwaway: PostgreSQL runs with fsync off, and `down` deletes its data.
set -euo pipefail

DIR="${MIDG_SERVICES_DIR:-${TMPDIR:-/tmp}/midg-services}"
PG_DIR="$DIR/postgres"
SLURM_DIR="$DIR/slurm"
MUNGE_DIR="$DIR/munge"
ENV_FILE="$DIR/env"

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

# A TCP port nobody listens on (the kernel picks it), on loopback.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Runs a command as the owner of PostgreSQL's files: postgres refuses to run as root.
as_pg() {
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [[ -n "$bin" && -x "$bin/initdb" ]] || return 1
  echo "$bin"
}

install_missing() {
  local wanted=()
  pg_bin >/dev/null || wanted+=(postgresql)
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null || wanted+=(slurm-wlm)
  command -v munged >/dev/null || wanted+=(munge)
  [[ ${#wanted[@]} -eq 0 ]] && return 0
  [[ $EUID -eq 0 ]] || die "missing ${wanted[*]}; install them (as root: apt-get install ${wanted[*]}) and run this again"
  log "installing ${wanted[*]} (Debian packages)"
  # Debian's packages start their daemons through invoke-rc.d when they can; ours run from our own folders instead.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d.midg && chmod +x /usr/sbin/policy-rc.d.midg
  local had_policy=0
  [[ -e /usr/sbin/policy-rc.d ]] && had_policy=1 || cp /usr/sbin/policy-rc.d.midg /usr/sbin/policy-rc.d
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${wanted[@]}" >&2
  [[ $had_policy -eq 1 ]] || rm -f /usr/sbin/policy-rc.d
  rm -f /usr/sbin/policy-rc.d.midg
}

# ---- PostgreSQL ----

pg_up() {
  local bin port
  bin="$(pg_bin)" || die "PostgreSQL's server programs are not installed"
  if [[ -f "$PG_DIR/port" ]] && as_pg "$bin/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    return 0
  fi
  mkdir -p "$PG_DIR"
  [[ $EUID -eq 0 ]] && chown postgres: "$PG_DIR"
  if [[ ! -f "$PG_DIR/data/PG_VERSION" ]]; then
    as_pg "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
      die "initdb failed; see $PG_DIR/initdb.log"
  fi
  port="$(free_port)"
  as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null || die "PostgreSQL did not start; see $PG_DIR/server.log"
  echo "$port" >"$PG_DIR/port"
  log "PostgreSQL on 127.0.0.1:$port (data in $PG_DIR/data)"
}

pg_down() {
  local bin
  bin="$(pg_bin)" || return 0
  if [[ -d "$PG_DIR/data" ]]; then
    as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}

# ---- munge and Slurm ----

munge_up() {
  mkdir -p "$MUNGE_DIR"
  chmod 700 "$MUNGE_DIR"
  alive "$MUNGE_DIR/munged.pid" && return 0
  if [[ ! -f "$MUNGE_DIR/munge.key" ]]; then
    dd if=/dev/urandom of="$MUNGE_DIR/munge.key" bs=1024 count=1 status=none
    chmod 400 "$MUNGE_DIR/munge.key"
  fi
  # --force: munged's checks of the folders above ours (a world-writable /tmp) do not matter for a throwaway key.
  munged --force --socket="$MUNGE_DIR/munge.socket" --key-file="$MUNGE_DIR/munge.key" \
    --pid-file="$MUNGE_DIR/munged.pid" --log-file="$MUNGE_DIR/munged.log" --seed-file="$MUNGE_DIR/munged.seed" ||
    die "munged did not start; see $MUNGE_DIR/munged.log"
}

slurm_conf() {
  local node cpus mem ctld_port slurmd_port user
  node="$(hostname -s)"
  cpus="$(nproc)"
  mem=$(( $(awk '/^MemTotal/ { print $2 }' /proc/meminfo) / 1024 - 512 ))
  ctld_port="$(free_port)"
  slurmd_port="$(free_port)"
  user="$(id -un)"
  mkdir -p "$SLURM_DIR/state" "$SLURM_DIR/spool"
  cat >"$SLURM_DIR/slurm.conf" <<EOF
# Written by tools/services.sh: a one-node cluster for development and CI.
ClusterName=midg
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_DIR/munge.socket
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool/%n
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/slurmctld.log
SlurmdLogFile=$SLURM_DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
MinJobAge=300
MaxArraySize=1001
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

slurm_up() {
  export SLURM_CONF="$SLURM_DIR/slurm.conf"
  if alive "$SLURM_DIR/slurmctld.pid" && alive "$SLURM_DIR/slurmd.pid"; then
    return 0
  fi
  [[ -f "$SLURM_CONF" ]] || slurm_conf
  # -c: a controller starting over forgets the jobs of an earlier one (a machine restarted under its folder).
  alive "$SLURM_DIR/slurmctld.pid" || slurmctld -c -f "$SLURM_CONF" || die "slurmctld did not start; see $SLURM_DIR/slurmctld.log"
  alive "$SLURM_DIR/slurmd.pid" || slurmd -f "$SLURM_CONF" || die "slurmd did not start; see $SLURM_DIR/slurmd.log"
  local state="" i
  for i in $(seq 1 60); do
    state="$(sinfo -h -o '%T' 2>/dev/null | head -n 1 || true)"
    [[ "$state" == idle* || "$state" == mixed* || "$state" == allocated* ]] && break
    sleep 0.5
  done
  [[ "$state" == idle* || "$state" == mixed* || "$state" == allocated* ]] ||
    die "the Slurm node did not come up (state '${state:-none}'); see $SLURM_DIR/slurmctld.log and slurmd.log"
  log "Slurm cluster midg: node $(hostname -s), $(nproc) CPUs (SLURM_CONF=$SLURM_CONF)"
}

slurm_down() {
  export SLURM_CONF="$SLURM_DIR/slurm.conf"
  if alive "$SLURM_DIR/slurmctld.pid"; then
    scancel --quiet --full --user="$(id -un)" 2>/dev/null || true
    local i
    for i in $(seq 1 40); do
      [[ -z "$(squeue -h -o '%i' 2>/dev/null || true)" ]] && break
      sleep 0.25
    done
  fi
  local pidfile
  for pidfile in "$SLURM_DIR/slurmd.pid" "$SLURM_DIR/slurmctld.pid" "$MUNGE_DIR/munged.pid"; do
    if alive "$pidfile"; then
      local pid
      pid="$(cat "$pidfile")"
      kill "$pid" 2>/dev/null || true
      for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  # Job steps outlive slurmd: end those of this cluster (their environment names our slurm.conf), by pid.
  local pid
  for pid in $(pgrep -x slurmstepd 2>/dev/null || true); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "SLURM_CONF=$SLURM_DIR/slurm.conf"; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}

write_env() {
  cat >"$ENV_FILE" <<EOF
export MIDG_TEST_PG_URL=postgresql://postgres@127.0.0.1:$(cat "$PG_DIR/port")/postgres
export MIDG_TEST_SLURM=1
export SLURM_CONF=$SLURM_DIR/slurm.conf
export MUNGE_SOCKET=$MUNGE_DIR/munge.socket
EOF
}

cmd_up() {
  install_missing
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  # One `up` at a time: tests may call it while CI's own call is still starting the daemons.
  exec 9>"$DIR/.lock"
  flock 9
  pg_up
  munge_up
  slurm_up
  write_env
  flock -u 9
  cat "$ENV_FILE"
}

cmd_env() {
  [[ -f "$ENV_FILE" ]] || die "services are not up; run: eval \"\$(tools/services.sh up)\""
  cat "$ENV_FILE"
}

cmd_status() {
  local bin ok=0
  if [[ ! -d "$DIR" ]]; then echo "services: down (no $DIR)"; return 1; fi
  bin="$(pg_bin || true)"
  if [[ -n "$bin" && -f "$PG_DIR/port" ]] && as_pg "$bin/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    echo "postgresql: up on 127.0.0.1:$(cat "$PG_DIR/port") (data $PG_DIR/data)"
  else
    echo "postgresql: down"; ok=1
  fi
  local daemon pidfile
  for daemon in munged slurmctld slurmd; do
    case $daemon in munged) pidfile="$MUNGE_DIR/munged.pid" ;; *) pidfile="$SLURM_DIR/$daemon.pid" ;; esac
    if alive "$pidfile"; then echo "$daemon: up (pid $(cat "$pidfile"))"; else echo "$daemon: down"; ok=1; fi
  done
  if [[ $ok -eq 0 ]]; then
    SLURM_CONF="$SLURM_DIR/slurm.conf" sinfo -h -o 'slurm node %n: %T, %c CPUs' 2>/dev/null || true
    echo "environment: $ENV_FILE"
  fi
  return $ok
}

cmd_down() {
  [[ -d "$DIR" ]] || return 0
  slurm_down
  pg_down
  rm -rf "$DIR"
  log "down"
}

case "${1:-}" in
  up) cmd_up ;;
  env) cmd_env ;;
  status) cmd_status ;;
  down) cmd_down ;;
  *) echo "usage: tools/services.sh up|env|status|down" >&2; exit 2 ;;
esac
