#!/usr/bin/env bash
# Signals to threads inside malloc, fork in a loop and leaks mode's table updates at once
# (programs/fork_signals.c): the runtime held the table's locks across fork while glibc's
# fork waited for the arena lock of a thread whose signal handler waited for one of them
# (stacks_storm hung so in 5 runs of 200; this program hung in 5 runs of 5).  The
# same with the registry and output locks, which the fork does hold: a handler's first
# call on a thread sets it up (the registry), a full-mode event may need a new chunk (the
# output); there a recording gives up after waiting 500 ms for a fork (init.c), and says
# so (dropped events): full mode hung 2 runs in 4 before.  Two runs of 2 s in leaks
# mode and one in full mode (each longer if 2 forks and 100 signals take longer on a
# loaded machine, up to 40 s: the program waits for them, the test checks them): each
# finishes (no hang: killed after 60 s), no child hangs, and every profile lists
# exactly its own leaks: the parent 5 blocks of 333 bytes, each child 3 of 48 and
# nothing of its parent's; the handler's mappings and the workers' blocks, all freed,
# none; mmap and munmap calls match.  (In full mode the parent's
# figures are exact only when no recording gave up: checked then.  Its counts and events
# agree either way: a dropped full-mode call leaves the counts too, thread.c.)
source "$(dirname "$0")/lib.sh"
build_shared fork_signals "$MS_PROGRAMS/fork_signals.c"
for run in 1 2 3; do
  mode=leaks
  [[ $run == 3 ]] && mode=full
  rm -rf out$run && mkdir out$run
  rc=0
  got=$(MEMSCOPE_MODE=$mode MEMSCOPE_OUT=$PWD/out$run timeout -s KILL 60 \
        ./fork_signals 2 counts$run 2>err$run) || rc=$?
  [[ $rc == 0 ]] || fail "run $run: exit status $rc (137: hung, killed): $got $(tail -3 err$run)"
  expect_eq "$got" "fork_signals: 0 children hung, 0 bad" "run $run: program output"
  [[ ! -s err$run ]] || fail "run $run: stderr: $(head -3 err$run)"
  merge_json run$run.json out$run/memscope.*.msgpack
  python3 - run$run.json counts$run <<'PY' || fail "run $run: the profiles (see above)"
import json, sys
d = json.load(open(sys.argv[1]))
n = dict(line.split() for line in open(sys.argv[2]))
forks, signals = int(n["forks"]), int(n["signals"])
bad = []
if forks < 2 or signals < 100:
    bad.append(f"too little happened: {n}")
procs = d["processes"]
if len(procs) != forks + 1:
    bad.append(f"{len(procs)} profiles for 1 parent and {forks} children")
parents = [p for p in procs if p["counts"]["allocations"] != 3]
children = [p for p in procs if p["counts"]["allocations"] == 3]
if len(parents) != 1:
    bad.append(f"{len(parents)} parent profiles")
# A recording that gave up on a fork (full mode) is dropped with its count, and says so:
# counts and events still agree, but the parent's figures (a free whose allocation was
# dropped) are then not exact, and not checked.  (Leaks mode's figures come from its
# table, which no fork holds up: always checked.)
for p in procs:
    if p["disagreeing_sites"]:
        bad.append(f"process {p['pid']}: counts and events disagree")
for p in parents:
    if p["dropped_events"] and p["mode"] == "full":
        if not p["complete"]:
            bad.append("parent: not complete")
        print(f"  (the parent dropped {p['dropped_events']} events: its figures not checked)")
        parents, d["sites"] = [], []
def exact(p, what, blocks, size):
    c = p["counts"]
    got = (c["live_blocks"], c["live_bytes"], p["complete"])
    want = ({"value": blocks, "error": 0}, {"value": blocks * size, "error": 0}, True)
    if got != want:
        bad.append(f"{what}: live blocks, bytes, complete {got}, want {want}")
for p in parents:
    exact(p, "parent", 5, 333)
for p in children:
    exact(p, f"child {p['pid']}", 3, 48)
    if p["counts"]["frees"] != 0:
        bad.append(f"child {p['pid']}: {p['counts']['frees']} frees")
sites = {}
for s in d["sites"]:
    f = s.get("frames") or []
    sites[(s["api"], f[0].get("function") if f else None)] = s
def site(api, fn):
    s = sites.get((api, fn))
    if not s:
        bad.append(f"no {api} site in {fn}")
    return s or {"calls": None, "counts": {"live_blocks": None}}
for api, fn, calls, live in (("malloc", "parent_leaks", 5, 5),
                             ("malloc", "child_leaks", 3 * forks, 3 * forks)) if d["sites"] else ():
    s = site(api, fn)
    if (s["calls"], s["counts"]["live_blocks"]) != (calls, {"value": live, "error": 0}):
        bad.append(f"{fn}: {s['calls']} calls, {s['counts']['live_blocks']} live; want {calls}, {live}")
for api in ("malloc", "mmap") if d["sites"] else ():
    fn = "worker" if api == "malloc" else "on_signal"
    if site(api, fn)["counts"]["live_blocks"] != {"value": 0, "error": 0}:
        bad.append(f"{fn}'s {api}: blocks live at exit")
if d["sites"] and site("malloc", "worker")["calls"] != site("free", "worker")["calls"]:
    bad.append("the workers' mallocs and frees differ")
if d["sites"]:
    mmaps, munmaps = site("mmap", "on_signal")["calls"], site("munmap", "on_signal")["calls"]
    if mmaps != munmaps or not mmaps:
        bad.append(f"the handler's mmaps {mmaps}, munmaps {munmaps}")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PY
  echo "fork_signals run $run ($mode): $(tr '\n' ' ' <counts$run)"
done
echo "hostile fork_signals: all checks passed"
