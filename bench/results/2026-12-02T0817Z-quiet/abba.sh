#!/bin/bash
# ABBA: alternate which side runs first, so order effects (writeback of the previous run, page cache) cancel.
# usage: abba.sh TAG ROUNDS scenarios  (sides: TALLY_METRICS=off / on)
cd /work/main
B="dotnet bench/Tally.Bench/bin/Release/net10.0/Tally.Bench.dll"
TAG=$1; R=$2; SC=$3
for r in $(seq 1 $R); do
 if [ $((r % 2)) -eq 1 ]; then order="off on"; else order="on off"; fi
 for m in $order; do
  echo "=== $TAG round $r metrics=$m $(date -u +%T) load: $(cut -d' ' -f1-3 /proc/loadavg)"
  $B --scenarios $SC --duration 6 --warmup 3 --server-env TALLY_METRICS=$m > /work/benchg/$TAG-$r-$m.txt 2>&1
  grep -E "^\| (livez|track|check) \|" /work/benchg/$TAG-$r-$m.txt
 done
done
echo "=== done $(date -u +%T)"
