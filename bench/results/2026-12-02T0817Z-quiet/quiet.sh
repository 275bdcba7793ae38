#!/bin/bash
# The quiet window: every figure of this session's closing, one after another, nothing else running.
cd /work/main
B="dotnet bench/Tally.Bench/bin/Release/net10.0/Tally.Bench.dll"
O=/work/benchg/q; mkdir -p $O
PG="Host=127.0.0.1;Port=55433;Username=postgres;Database=postgres"
L() { echo "=== $* $(date -u +%T) load: $(cut -d' ' -f1-3 /proc/loadavg)"; }
# A: metrics ABBA, 4 rounds
for r in 1 2 3 4; do
 if [ $((r % 2)) -eq 1 ]; then order="off on"; else order="on off"; fi
 for m in $order; do
  L "metrics round $r $m"
  $B --scenarios livez,track,check --duration 6 --warmup 3 --server-env TALLY_METRICS=$m > $O/m-$r-$m.txt 2>&1
  grep -E "^\| (livez|track|check) \|" $O/m-$r-$m.txt
 done
done
# B: headline
L headline
$B --scenarios fsync,livez,track,check,check-paced,batch --rounds 3 --duration 8 --warmup 3 > $O/headline.txt 2>&1
tail -25 $O/headline.txt
# C: before (ab97625) vs after, track and batch, 2 interleaved pairs
for r in 1 2; do
 for v in base new; do
  L "ab round $r $v"
  if [ $v = base ]; then S="--server /work/wt/base/src/Tally.Server/bin/Release/net10.0/Tally.Server.dll"; else S=""; fi
  $B $S --scenarios livez,track,batch --duration 6 --warmup 3 > $O/ab-$r-$v.txt 2>&1
  grep -E "^\| (livez|track|batch) \|" $O/ab-$r-$v.txt
 done
done
# D: PostgreSQL before/after on the durable cluster, one pair
for v in base new; do
 L "pg $v"
 if [ $v = base ]; then S="--server /work/wt/base/src/Tally.Server/bin/Release/net10.0/Tally.Server.dll"; else S=""; fi
 dropdb -h 127.0.0.1 -p 55433 -U postgres --if-exists q_$v; createdb -h 127.0.0.1 -p 55433 -U postgres q_$v
 $B $S --scenarios postgres --postgres "Host=127.0.0.1;Port=55433;Username=postgres;Database=q_$v" --duration 6 --warmup 3 > $O/pg-$v.txt 2>&1
 grep -E "^\| postgres" $O/pg-$v.txt
done
# E: profile
L perf
$B --scenarios livez,track,check,batch --duration 8 --warmup 6 --perf $O/perf > $O/perf.txt 2>&1
python3 bench/perf-breakdown.py $O/perf/*.data > $O/perf/breakdown.txt 2>&1
# F: flat (P6)
L flat
$B --scenarios flat --duration 6 --warmup 3 > $O/flat.txt 2>&1
tail -20 $O/flat.txt
L done
