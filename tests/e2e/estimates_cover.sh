#!/usr/bin/env bash
# The sampled mode's estimates across repeated runs (issue 15): a program that leaks 25
# small blocks and 16 MB, and peaks at 49 MB, run once in full mode (the truth) and 40
# times in the default mode with MEMSCOPE_SEED 1..40.  In every run the blocks live at exit
# are exact; the 95% intervals of live bytes (in all and at each leaking site) and of the
# peak cover the truth in at least 36 of the 40 runs; a site without a live sample is shown
# as a bound, never as 0 exactly.
# Usage: estimates_cover.sh PROGRAM MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 source=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
at() { echo "sampled_leaks.c:$(line_of "$source" "site:$1")"; }

run_and_merge "$work/full" MEMSCOPE_MODE=full "$program"
truth=$(json_get "$work/full.json" totals.live_blocks.value totals.live_bytes.value \
  totals.peak_live_bytes.value)
{ read -r live_blocks; read -r live_bytes; read -r peak; } <<<"$truth"
# the program's own blocks; libc may keep a few of its own
((live_blocks >= 4025 && live_blocks < 4100)) || fail "full mode: $live_blocks blocks live"
((peak >= 12000 * 4096)) || fail "full mode: peak $peak"

for seed in $(seq 1 40); do
  run_profiled "$work/run$seed" MEMSCOPE_SEED="$seed" "$program"
  merge_to_json "$work/run$seed.json" "${profiles[@]}"
done
"$python" - "$work" "$live_blocks" "$live_bytes" "$peak" "$(at small_leak)" "$(at large_leak)" <<'PY'
import json, sys
work, blocks, live, peak, small_at, large_at = sys.argv[1], *map(int, sys.argv[2:5]), *sys.argv[5:]
small_truth, large_truth = 25 * 3500, 4000 * 4096
covered = {"live bytes": 0, "peak": 0, "small leak": 0, "large leak": 0}
def covers(f, truth):
    return f["low"] <= truth <= f["high"]
def site(d, where):
    for s in d["sites"]:
        for fr in s.get("frames", [])[:1]:
            if fr.get("file", "").endswith(where.split(":")[0]) and fr.get("line") == int(where.split(":")[1]):
                return s
    return None
bounded = 0
for seed in range(1, 41):
    d = json.load(open(f"{work}/run{seed}.json"))
    t = d["totals"]
    lb = t["live_blocks"]
    if lb["value"] != blocks or lb["error"] != 0 or "samples" in lb:
        sys.exit(f"FAIL: seed {seed}: live blocks {lb}, expected exactly {blocks}")
    covered["live bytes"] += covers(t["live_bytes"], live)
    covered["peak"] += covers(t["peak_live_bytes"], peak)
    s = site(d, small_at)
    f = s["counts"]["live_bytes"]
    if f["value"] == 0 and not f.get("bounded"):
        sys.exit(f"FAIL: seed {seed}: the small leak's live bytes {f} claim 0 exactly")
    bounded += bool(f.get("bounded"))
    covered["small leak"] += covers(f, small_truth)
    covered["large leak"] += covers(site(d, large_at)["counts"]["live_bytes"], large_truth)
bad = {k: v for k, v in covered.items() if v < 36}
print("covered in 40 runs:", covered, "; small leak bounded (no sample) in", bounded)
if bad:
    sys.exit(f"FAIL: 95% intervals covered the truth too rarely: {bad}")
PY
echo "e2e estimates_cover: all checks passed"
