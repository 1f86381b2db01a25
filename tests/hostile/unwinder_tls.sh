#!/usr/bin/env bash
# Invisible means invisible (issue #13, item 7): what the runtime causes to be allocated
# while it is busy is not the program's, and neither is its free.  Three threads run one
# after another with every allocation sampled and a stack on each sample, so each
# thread's first unwind makes the loader allocate libunwind's TLS block, which glibc
# frees at the thread's exit, through the interposed free.  Counted with
# MEMSCOPE_UNINSTRUMENTED=1, in full mode and sampled (interval 1 byte), with both
# runtimes: memscope never counts more frees than the plain program makes (an
# independent LD_PRELOAD counter), no free is unmatched, and the program's own sites
# have their exact counts.
source "$(dirname "$0")/lib.sh"
src=$MS_PROGRAMS/unw_threads.c
"$MS_CLANG" -O2 -shared -fPIC "$MS_PROGRAMS/unw_free_count.c" -o frees.so -ldl ||
  fail "building the free counter"
build_plain plain "$src"
build_shared shared "$src"
build_static static "$src" -Wl,-u,malloc

want_out=$(timeout 60 ./plain) || fail "plain run"
UNW_FREES_OUT=$PWD/plain.frees timeout 60 env LD_PRELOAD=$PWD/frees.so ./plain >/dev/null ||
  fail "plain run under the free counter"
plain_frees=$(cat plain.frees)
[[ $plain_frees -ge 30 ]] || fail "the free counter saw $plain_frees frees, fewer than the program's 30"

export MEMSCOPE_UNINSTRUMENTED=1 MEMSCOPE_STACK_DEPTH=16
for build in shared static; do
  for mode in full sampled; do
    what="$build, $mode"
    run=$build.$mode
    mkdir -p $run
    rc=0
    MEMSCOPE_MODE=$mode MEMSCOPE_SAMPLE_INTERVAL=1 MEMSCOPE_OUT=$PWD/$run timeout 60 ./$build \
      >$run.out 2>$run.err || rc=$?
    [[ $rc == 0 ]] || fail "$what: exit status $rc: $(tail -3 $run.err)"
    expect_eq "$(cat $run.out)" "$want_out" "$what: program output"
    merge_json $run.json $run/memscope.*.msgpack
    python3 - $run.json "$plain_frees" <<'PY' || fail "$what: the runtime's own blocks showed (see above)"
import json, sys
d = json.load(open(sys.argv[1])); plain_frees = int(sys.argv[2])
t = d["totals"]; bad = []
if t["frees"] > plain_frees:
    bad.append(f"{t['frees']} frees counted, the program makes {plain_frees}")
if t["unmatched_frees"] != 0:
    bad.append(f"{t['unmatched_frees']} unmatched frees")
got = {}
for s in d["sites"]:
    f = s.get("frames") or []
    if not s.get("uninstrumented") and f and (f[0].get("file") or "").endswith("unw_threads.c"):
        got[s["api"]] = got.get(s["api"], 0) + s["calls"]
if got != {"malloc": 30, "free": 30}:
    bad.append(f"site calls {got}, expected malloc 30, free 30")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PY
  done
done
echo "unwinder_tls: no free of the runtime's own blocks counted ($plain_frees frees in the plain program)"
