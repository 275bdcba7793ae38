#!/usr/bin/env bash
# The Tally benchmarks in one command: installs wrk if missing, builds Release, runs every load scenario against the
# real server (SQLite, synchronous=FULL) and the BenchmarkDotNet engine micro-benchmarks, and writes everything to
# bench/results/<UTC date-time>.txt.
#
#   bench/run.sh                 # the full run (about 15 minutes on 2 cores)
#   bench/run.sh --quick         # a few seconds per scenario, smaller flat-cost data: for checking the harness
#   bench/run.sh -- --scenarios track,check --duration 5     # anything after -- goes to the load tool
#
# Environment: BENCH_PERF=1 also records a perf CPU profile of the server per run and breaks it down
# (bench/perf-breakdown.py); BENCH_BDN_ARGS overrides the BenchmarkDotNet arguments; BENCH_POSTGRES=<connection string>
# runs P5 against an existing, empty PostgreSQL database instead of starting a local one.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ORIGINAL_ARGS="$*"

QUICK=0
PASS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1; shift ;;
    --) shift; PASS+=("$@"); break ;;
    *) PASS+=("$1"); shift ;;
  esac
done

STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
mkdir -p bench/results bench/.work
OUT=bench/results/$STAMP.txt
WORK=$ROOT/bench/.work/$STAMP
mkdir -p "$WORK"
exec > >(tee "$OUT") 2>&1

echo "# Tally benchmark run $STAMP"
echo "command: bench/run.sh $ORIGINAL_ARGS"
echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo '?') $(git status --porcelain 2>/dev/null | grep -q . && echo '(dirty)')"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
free -h
echo "uptime: $(uptime)"
echo

# ---------------------------------------------------------------- tools
if ! command -v wrk >/dev/null; then
  echo "installing wrk (apt-get)"
  if [[ $(id -u) == 0 ]]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
echo "wrk: $(wrk --version 2>&1 | head -1)"
if command -v perf >/dev/null; then echo "perf: $(perf --version)"; else echo "perf: not installed (fsync counts and profiles are skipped; apt-get install linux-perf)"; fi

# ---------------------------------------------------------------- build
echo
echo "## build (Release)"
if ! dotnet build Tally.slnx -c Release -nologo > "$WORK/build.log" 2>&1; then
  grep -E "error|warn" "$WORK/build.log" | sort -u | head -30
  echo "build failed (log: $WORK/build.log)"
  exit 1
fi
grep -E "Warn|Error|Elapsed" "$WORK/build.log" | tail -3
SERVER=src/Tally.Server/bin/Release/net10.0/Tally.Server.dll
BENCH=bench/Tally.Bench/bin/Release/net10.0/Tally.Bench.dll
[[ -f $SERVER && -f $BENCH ]] || { echo "build failed: $SERVER or $BENCH missing"; exit 1; }

# ---------------------------------------------------------------- PostgreSQL for P5
PG_ARGS=()
PGDATA=""
cleanup() {
  if [[ -n $PGDATA ]]; then
    su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D $PGDATA -m fast -w stop" >/dev/null 2>&1 || true
    rm -rf "$PGDATA"
  fi
}
trap cleanup EXIT
if [[ -n ${BENCH_POSTGRES:-} ]]; then
  PG_ARGS=(--postgres "$BENCH_POSTGRES")
elif grep -q "has no PostgreSQL store" src/Tally.Server/Hosting/StoreFactory.cs 2>/dev/null; then
  echo "PostgreSQL: this build has no PostgreSQL store; P5 is reported as pending"
elif [[ -x /usr/lib/postgresql/15/bin/initdb && $(id -u) == 0 ]]; then
  # A throwaway cluster on the real disk with fsync ON (the durable number is the one that counts).
  PGBIN=/usr/lib/postgresql/15/bin
  PGDATA=$(mktemp -d /var/tmp/tally-bench-pg.XXXXXX)
  chown postgres:postgres "$PGDATA"
  su postgres -c "$PGBIN/initdb -D $PGDATA -U postgres -A trust -E UTF8" >/dev/null
  su postgres -c "$PGBIN/pg_ctl -D $PGDATA -l $PGDATA/server.log -w -o '-h 127.0.0.1 -p 55439 -k /tmp -c max_connections=200' start" >/dev/null
  psql -h 127.0.0.1 -p 55439 -U postgres -qc 'create database tally_bench'
  PG_ARGS=(--postgres "Host=127.0.0.1;Port=55439;Username=postgres;Database=tally_bench")
  echo "PostgreSQL: local PG 15 cluster on 127.0.0.1:55439 (fsync on, synchronous_commit on)"
else
  echo "PostgreSQL: no local PostgreSQL 15 (or not root); set BENCH_POSTGRES to a connection string for P5"
fi

# ---------------------------------------------------------------- load scenarios
ARGS=(--work "$WORK/load")
if [[ $QUICK == 1 ]]; then
  ARGS+=(--duration 3 --warmup 1 --rounds 1 --flat-customers 20000 --flat-entities 300 --flat-sources 100 --flat-rate 500)
else
  ARGS+=(--duration 10 --warmup 5 --rounds 3)
fi
if [[ ${BENCH_PERF:-0} == 1 ]]; then ARGS+=(--perf "$WORK/perf"); fi
echo
echo "## load scenarios"
echo "dotnet $BENCH ${ARGS[*]} ${PG_ARGS[*]:-} ${PASS[*]:-}"
dotnet "$BENCH" "${ARGS[@]}" "${PG_ARGS[@]}" "${PASS[@]}"

if [[ ${BENCH_PERF:-0} == 1 && -d $WORK/perf ]]; then
  echo
  echo "## CPU profile breakdown (perf, DOTNET_PerfMapEnabled=1)"
  python3 bench/perf-breakdown.py "$WORK"/perf/*.data
  mkdir -p "bench/results/$STAMP-perf"
  cp "$WORK"/perf/*.txt "bench/results/$STAMP-perf/" 2>/dev/null || true
fi

# ---------------------------------------------------------------- micro-benchmarks
echo
echo "## engine micro-benchmarks (BenchmarkDotNet)"
echo "uptime: $(uptime)"
read -r -a BDN <<< "${BENCH_BDN_ARGS:---filter * --job short --inProcess}"
if [[ $QUICK == 1 && -z ${BENCH_BDN_ARGS:-} ]]; then BDN=(--filter '*' --job dry --inProcess); fi
dotnet bench/Tally.Benchmarks/bin/Release/net10.0/Tally.Benchmarks.dll "${BDN[@]}" --artifacts "$WORK/bdn" > "$WORK/bdn.log" 2>&1 || { tail -40 "$WORK/bdn.log"; exit 1; }
cat "$WORK"/bdn/results/*-report-github.md
echo "uptime: $(uptime)"

rm -rf "$WORK"
echo
echo "results: $OUT"
