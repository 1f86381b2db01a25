#!/usr/bin/env bash
# MEMSCOPE_SEED makes sampling reproducible (issue #15, item 7): a program whose threads
# start in the same order and allocate the same way samples the same allocations again,
# so every estimate comes out the same; another seed draws others.  threads30: 30 threads,
# sampled mode at a small interval (some hundreds of samples).
source "$(dirname "$0")/lib.sh"
build_static threads30 "$MS_SOURCE_DIR/examples/threads30.c"
estimates() { # SEED: every site's samples and estimates, and the totals' estimates
  rm -rf out && mkdir out
  MEMSCOPE_SEED=$1 MEMSCOPE_SAMPLE_INTERVAL=16K MEMSCOPE_OUT=out ./threads30 >/dev/null ||
    fail "threads30 with MEMSCOPE_SEED=$1 failed"
  merge_json run.json "$(the_file out)"
  python3 - run.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
samples = sum(th["counts"]["samples"] for p in d["processes"] for th in p["threads"])
print("samples", samples, "freed", t["bytes_freed"], "live", t["live_bytes"])
for s in sorted(d["sites"], key=lambda s: s["id"]):
    print(s["id"], s["counts"]["samples"], s["counts"]["bytes_freed"])
PY
}
a=$(estimates 42)
b=$(estimates 42)
c=$(estimates 7)
[[ $(head -1 <<<"$a" | cut -d' ' -f2) -gt 50 ]] || fail "too few samples to compare: $(head -1 <<<"$a")"
expect_eq "$b" "$a" "two runs with MEMSCOPE_SEED=42"
[[ "$c" != "$a" ]] || fail "MEMSCOPE_SEED=7 drew the same samples as 42"
rm -rf out && mkdir out
MEMSCOPE_SEED=x1 MEMSCOPE_OUT=out ./threads30 >/dev/null 2>err.txt || fail "threads30 with a bad seed failed"
grep -q "MEMSCOPE_SEED is a decimal number" err.txt || fail "no warning for MEMSCOPE_SEED=x1: $(cat err.txt)"
echo "hostile seed: all checks passed"
