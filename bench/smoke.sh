#!/bin/bash
# smoke.sh - ctest bench_smoke: `tern bench --bytes 1048576 memlink-throughput
# --json` runs and prints one valid JSON object with the promised members.
# A smoke test only: benchmarks are never timed tests, so no figure is checked.
# Usage: bench/smoke.sh PATH/TO/tern. Exits 77 (skipped) without python3.
set -euo pipefail
tern=${1:?usage: smoke.sh PATH/TO/tern}
command -v python3 >/dev/null || { echo "SKIPPED: no python3 to parse JSON"; exit 77; }
out=$("$tern" bench --bytes 1048576 memlink-throughput --json)
printf '%s\n' "$out"
printf '%s\n' "$out" | python3 -c '
import json, sys
lines = [l for l in sys.stdin.read().splitlines() if l.strip()]
assert len(lines) == 1, "want one line, got %d" % len(lines)
r = json.loads(lines[0])
for k in ("name", "unit", "tern", "peer", "peer_name", "ratio"):
    assert k in r, "missing " + k
assert r["name"] == "memlink-throughput"
assert r["tern"] > 0 and r["bytes"] == 1048576
'
echo "bench smoke: ok"
