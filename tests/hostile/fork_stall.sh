#!/usr/bin/env bash
# Full mode while a fork stalls for 1.8 s in glibc's part (programs/fork_stall.c: stdio's
# list lock held by a blocked fflush), two threads allocating: each event that needs a
# new chunk then gives up on the output lock after 500 ms (init.c) and is dropped.  A
# dropped full-mode call leaves the thread's counts too (thread.c, uncount): before, its
# count stayed without its event and the merge reported the parent's counts and events
# as disagreeing.  Asserted: the program ends, the fork stalled, some events were
# dropped (else nothing was tested), counts and events agree, and the malloc and free
# sites' calls plus the dropped events are exactly the workers' calls; the child's
# profile has its own 7 mallocs and 7 frees, nothing dropped.
source "$(dirname "$0")/lib.sh"
build_shared fork_stall "$MS_PROGRAMS/fork_stall.c"
rm -rf out && mkdir out
got=$(MEMSCOPE_MODE=full MEMSCOPE_STACK_DEPTH=0 MEMSCOPE_OUT=$PWD/out timeout 60 ./fork_stall 2>err) ||
  fail "exit status $? (124: hung): $(tail -3 err)"
[[ ! -s err ]] || fail "stderr: $(head -3 err)"
[[ $got =~ ^fork_stall:\ calls\ ([0-9]+)\ stalled\ 1\ child\ 0$ ]] || fail "program output: $got"
calls=${BASH_REMATCH[1]}
merge_json all.json out/memscope.*.msgpack
python3 - all.json "$calls" <<'PY' || fail "the profiles (see above)"
import json, sys
d = json.load(open(sys.argv[1]))
calls = int(sys.argv[2])
bad = []
procs = d["processes"]
if len(procs) != 2:
    sys.exit(f"  {len(procs)} profiles, want the parent's and the child's")
child = [p for p in procs if p["counts"]["allocations"] == 7]
parent = [p for p in procs if p["counts"]["allocations"] != 7]
if len(child) != 1 or len(parent) != 1:
    sys.exit("  no single child (7 allocations) and parent")
(child,), (parent,) = child, parent
for p, what in ((parent, "parent"), (child, "child")):
    if p["disagreeing_sites"]:
        bad.append(f"{what}: counts and events disagree at {p['disagreeing_sites']} sites")
    if not p["complete"]:
        bad.append(f"{what}: not complete")
dropped = parent["dropped_events"]
if not dropped:
    bad.append("parent: no event dropped (the fork did not stall the recording)")
c = parent["counts"]
if c["allocations"] + c["frees"] + dropped != calls:
    bad.append(f"parent: {c['allocations']} allocations + {c['frees']} frees + {dropped} dropped != {calls} calls")
cc = child["counts"]
if (cc["allocations"], cc["frees"], child["dropped_events"]) != (7, 7, 0):
    bad.append(f"child: {cc['allocations']} allocations, {cc['frees']} frees, {child['dropped_events']} dropped")
print(f"  the parent dropped {dropped} of {calls} calls")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PY
echo "hostile fork_stall: all checks passed"
