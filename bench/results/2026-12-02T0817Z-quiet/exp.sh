#!/bin/bash
cd /work/main
B="dotnet bench/Tally.Bench/bin/Release/net10.0/Tally.Bench.dll"
declare -A ENV=( [off]="TALLY_METRICS=off" [all]="TALLY_METRICS=on" [none]="XMETERS=," [tally]="XMETERS=Tally" [hosting]="XMETERS=Microsoft.AspNetCore.Hosting" [kestrel]="XMETERS=Microsoft.AspNetCore.Server.Kestrel" [runtime]="XMETERS=runtime" )
for r in 1 2; do
 if [ $r -eq 1 ]; then order="off all none tally hosting kestrel runtime"; else order="runtime kestrel hosting tally none all off"; fi
 for m in $order; do
  echo "=== exp round $r $m $(date -u +%T) load: $(cut -d' ' -f1-3 /proc/loadavg)"
  $B --scenarios track --duration 6 --warmup 3 --server-env ${ENV[$m]} > /work/benchg/exp-$r-$m.txt 2>&1
  grep -E "^\| (livez|track|check) \|" /work/benchg/exp-$r-$m.txt
 done
done
echo "=== done $(date -u +%T)"
