#!/bin/bash
# smoke.sh - ctest bench_smoke: `tern bench --bytes 1048576 memlink-throughput
# --json` runs and prints one valid JSON object with the promised members,
# and the simulator benchmarks (loss-goodput, fairness) run once at a tiny
# size (--sim-seconds 1) and print one valid JSON line per case with theirs.
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
out=$("$tern" bench loss-goodput --sim-seconds 1 --json)
printf '%s\n' "$out"
printf '%s\n' "$out" | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin.read().splitlines() if l.strip()]
assert len(lines) == 16, "loss-goodput: want 16 cases, got %d" % len(lines)
seen = set()
for r in lines:
    for k in ("name", "unit", "tern", "peer", "peer_name", "ratio", "target", "met",
              "case", "cc", "sack", "loss", "queue_pkts", "measured_s", "retrans",
              "timeouts", "link_lost", "queue_drops", "hash"):
        assert k in r, "loss-goodput: missing " + k
    assert r["name"] == "loss-goodput" and r["unit"] == "Mbit/s" and r["hash"] == "ok"
    assert r["tern"] > 0 and r["peer"] > 0
    seen.add((r["case"], r["cc"], r["sack"]))
assert len(seen) == 16, "loss-goodput: cases repeat"
'
out=$("$tern" bench fairness --sim-seconds 1 --json)
printf '%s\n' "$out"
printf '%s\n' "$out" | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin.read().splitlines() if l.strip()]
assert len(lines) == 6, "fairness: want 6 cases, got %d" % len(lines)
seen = set()
for r in lines:
    for k in ("name", "unit", "tern", "peer", "peer_name", "ratio", "target", "met",
              "flows", "cc", "measured_s", "jain_5s_min", "link_util", "goodput_mbps",
              "min_flow_mbps", "max_flow_mbps", "queue_drops", "hash"):
        assert k in r, "fairness: missing " + k
    assert r["name"] == "fairness" and r["unit"] == "jain" and r["hash"] == "ok"
    assert 0 < r["tern"] <= 1 and r["peer"] == 1 and r["link_util"] > 0
    seen.add((r["flows"], r["cc"]))
assert {f for f, _ in seen} == {2, 10, 100} and len(seen) == 6, "fairness: cases"
'
echo "bench smoke: ok"
