#!/bin/bash
cd /work/main
B="dotnet bench/Tally.Bench/bin/Release/net10.0/Tally.Bench.dll"
O=/work/benchg/q
for r in 1 2 3 4 5 6; do
 if [ $((r % 2)) -eq 1 ]; then order="off on"; else order="on off"; fi
 for m in $order; do
  echo "=== def round $r $m $(date -u +%T) load: $(cut -d' ' -f1-3 /proc/loadavg)"
  $B --scenarios livez,track --duration 6 --warmup 4 --server-env TALLY_METRICS=$m > $O/d-$r-$m.txt 2>&1
  grep -E "^\| (livez|track|check) \|" $O/d-$r-$m.txt
 done
done
echo "=== done $(date -u +%T)"
