#!/usr/bin/env bash
# A thread's first recorded call inside a signal handler (programs/handler_first.c): the
# main thread's, before main allocated anything, and a new thread's.  What the runtime
# sets up on a first call must be safe there; the resource sampler's thread used to be
# started on the session's first recorded event (pthread_create inside the handler: a
# deadlock when the handler interrupted pthread_create or pthread_exit, which hold
# glibc's stack cache lock).  Now it is started before main (the constructor), so each
# handler sees the same thread count before and after its first malloc: main and the
# sampler in the main thread's handler, and the waiting thread too in the other.  In full
# and sampled mode with a 1 ms sampler: the program ends, prints that, and its file has
# the exact counts (4 mallocs, 4 frees of the instrumented sites, nothing dropped, nothing
# live), the waiting thread's record and the sampler's ticks.
source "$(dirname "$0")/lib.sh"
build_shared handler_first "$MS_PROGRAMS/handler_first.c"
for mode in full sampled; do
  rm -rf out.$mode && mkdir out.$mode
  got=$(MEMSCOPE_MODE=$mode MEMSCOPE_SAMPLE_INTERVAL=1 MEMSCOPE_RESOURCE_INTERVAL=1ms \
        MEMSCOPE_OUT=$PWD/out.$mode timeout 60 ./handler_first 2>err.$mode) ||
    fail "$mode: exit status $? (124: hung): $(tail -3 err.$mode)"
  expect_eq "$got" "handler_first: main 2 2, thread 3 3, handled 3" \
    "$mode: threads before and after each handler's first malloc"
  [[ ! -s err.$mode ]] || fail "$mode: stderr: $(head -3 err.$mode)"
  merge_json $mode.json "$(the_file out.$mode)"
  expect_eq "$(inst_counts $mode.json)" "4 4" "$mode: instrumented mallocs and frees"
  python3 - $mode.json <<'PY' || fail "$mode: the profile (see above)"
import json, sys
d = json.load(open(sys.argv[1]))
(p,) = d["processes"]
bad = []
if p["dropped_events"] or p["disagreeing_sites"] or not p["complete"]:
    bad.append(f"dropped {p['dropped_events']}, disagreeing {p['disagreeing_sites']}, complete {p['complete']}")
if len(p["threads"]) != 2:
    bad.append(f"{len(p['threads'])} threads recorded, want 2 (main, the waiter)")
if not p.get("resources") or p["resources"]["summary"]["ticks"] < 1:
    bad.append("no resource ticks")
if p["counts"]["live_blocks"] != {"value": 0, "error": 0}:
    bad.append(f"live blocks {p['counts']['live_blocks']}")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PY
done
echo "hostile handler_first: all checks passed"
