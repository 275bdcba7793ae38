#!/bin/bash
# Ran against a throwaway build of main at 9425081 with meter-selection.patch applied (XMETERS picks the meters,
# "runtime" the runtime instrumentation; not part of Tally), built to /work/wt/mexp.
cd /work/main
B="dotnet bench/Tally.Bench/bin/Release/net10.0/Tally.Bench.dll --server /work/wt/mexp/src/Tally.Server/bin/Release/net10.0/Tally.Server.dll"
declare -A ENV=( [off]="TALLY_METRICS=off" [all]="TALLY_METRICS=on" [none]="XMETERS=," [hosting]="XMETERS=Microsoft.AspNetCore.Hosting" [kestrel]="XMETERS=Microsoft.AspNetCore.Server.Kestrel" [runtime]="XMETERS=runtime" )
for r in 1 2; do
 if [ $r -eq 1 ]; then order="off all none hosting kestrel runtime"; else order="runtime kestrel hosting none all off"; fi
 for m in $order; do
  echo "=== exp round $r $m $(date -u +%T) load: $(cut -d' ' -f1-3 /proc/loadavg)"
  $B --scenarios livez,track --duration 6 --warmup 3 --server-env ${ENV[$m]} > /work/benchg/q/exp-$r-$m.txt 2>&1
  grep -E "^\| (livez|track) \|" /work/benchg/q/exp-$r-$m.txt
 done
done
echo "=== done $(date -u +%T)"
