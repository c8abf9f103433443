#!/bin/bash
# Wall time of `npm run dev` from launch to "billing daemon running", for each Temporal
# (--temporal cluster, then the dev server), on a new data directory and on a restart of it.
# Binaries must be built already (the first build is minutes). Runs on ports shifted by 10000
# (a temp copy of temporal.yaml and billing.yaml) so a running `npm run dev` is not disturbed;
# data in a temp directory, removed at the end. docs/deploy.md quotes its figures.
#
#   scripts/dev-startup-time.sh
set -u
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for mode in cluster dev; do
  rm -rf "${dir:?}"/* && chmod 755 "$dir"
  sed -e "s|dbFile: .data/temporal/temporal.sqlite|dbFile: $dir/temporal.sqlite|" -e 's|  port: 7233|  port: 17233|' -e 's|uiPort: 8233|uiPort: 18233|' temporal.yaml > "$dir/t.yaml"
  sed -e 's|port: 8787|port: 18787|' -e 's|port: 8788|port: 18788|' -e 's|port: 9464|port: 19464|' -e 's|temporalMetricsPort: 9465|temporalMetricsPort: 19465|' billing.yaml > "$dir/b.yaml"
  for run in new restart; do
    log="$dir/$mode-$run.log"
    start=$(date +%s.%N)
    BILLING_CONFIG="$dir/b.yaml" BILLING_TEMPORAL_CONFIG="$dir/t.yaml" BILLING_DATA_DIR="$dir" BILLING_PG_PORT=56329 SANDBOX_PORT=14010 LOG_LEVEL=warn \
      node --import tsx devstack/dev.ts --temporal "$mode" > "$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 900); do grep -q "billing daemon running" "$log" && break; kill -0 $pid 2>/dev/null || break; sleep 0.2; done
    end=$(date +%s.%N)
    if grep -q "billing daemon running" "$log"; then echo "$mode, $run data directory: $(echo "$end - $start" | bc) s"; else echo "$mode, $run: did not start:"; grep -v '^{' "$log" | tail -3; fi
    kill -INT $pid 2>/dev/null; wait $pid
  done
done
