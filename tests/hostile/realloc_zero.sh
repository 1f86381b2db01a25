#!/usr/bin/env bash
# realloc(p, 0) follows one rule in every mode (issue #13, item 7): a call that returned
# no block is not counted as an allocation (it was a 0-byte allocation in sampled mode
# and none in full mode).  Exact per-site calls, full and sampled mode, sampling every
# allocation or almost none; inline sites and entry points.
source "$(dirname "$0")/lib.sh"
build_static rz_inline "$MS_PROGRAMS/realloc_zero.c"
MEMSCOPE_PASS_INLINE=never build_static rz_called "$MS_PROGRAMS/realloc_zero.c"
for prog in rz_inline rz_called; do
  for setting in "full 512K" "sampled 512K" "sampled 1" "sampled 1000G"; do
    read -r mode interval <<<"$setting"
    rm -rf out && mkdir out
    expect_eq "$(MEMSCOPE_MODE=$mode MEMSCOPE_SAMPLE_INTERVAL=$interval MEMSCOPE_OUT=out ./$prog)" \
      "realloc_zero: 100 of 100 returned NULL" "$prog $setting: output"
    merge_json run.json "$(the_file out)"
    got=$(python3 - run.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
calls = {}
for s in d["sites"]:
    if not s.get("uninstrumented"):
        calls[s["api"]] = calls.get(s["api"], 0) + s["calls"]
print(" ".join(f"{k}={calls[k]}" for k in sorted(calls)))
PY
)
    expect_eq "$got" "free=50 malloc=150 realloc=50" "$prog $setting: calls per api"
  done
done
echo "hostile realloc_zero: all checks passed"
