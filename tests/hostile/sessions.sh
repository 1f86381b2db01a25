#!/usr/bin/env bash
# Counts stay right through fork, sessions and signals (issue #13, item 6).
#  - A fork child's file has its own calls only (the parent's 10 are not counted again),
#    with inline sites and without (MEMSCOPE_PASS_INLINE=never at build time).
#  - 8 threads make 1,600,000 malloc/free pairs while main rotates sessions 30 times
#    (memscope_start while one runs): the files add up to exactly that; with stop/start
#    cycles, no file and no sum over-counts, and when the threads pause between stop
#    and start the sum is exact again.
#  - A timer's handler that allocates while main allocates: in full mode no event is
#    corrupted (no overwritten block, counters and events agree, an unmatched free only
#    for an allocation reported dropped); every call is counted or reported dropped; in
#    leaks mode no hang on the live-block table's locks and no freed block listed live.
source "$(dirname "$0")/lib.sh"
build_static sess_inline "$MS_PROGRAMS/sessions.c"
MEMSCOPE_PASS_INLINE=never build_static sess_called "$MS_PROGRAMS/sessions.c"
total=$((8 * 200000))

for prog in sess_inline sess_called; do
  rm -rf fork && mkdir fork
  expect_eq "$(MEMSCOPE_OUT=fork ./$prog fork)" "sessions: fork child ok" "$prog fork: output"
  files=(fork/*.msgpack)
  expect_eq "${#files[@]}" 2 "$prog fork: a file per process"
  for f in "${files[@]}"; do
    merge_json one.json "$f"
    pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["processes"][0]["ppid"])' one.json)
    if [[ $pid == $$ || $pid == $PPID ]] || [[ $(inst_counts one.json) == "10 10" ]]; then
      expect_eq "$(inst_counts one.json)" "10 10" "$prog fork: the parent's calls"
    else
      expect_eq "$(inst_counts one.json)" "1 1" "$prog fork: the child's own calls only"
    fi
  done
  merge_json both.json fork/*.msgpack
  expect_eq "$(inst_counts both.json)" "11 11" "$prog fork: every call in one file"

  for mode in rotate quiet cycle; do
    rm -rf s && mkdir s
    expect_eq "$(MEMSCOPE_OUT=s ./$prog $mode 30 s)" "sessions: $mode done" "$prog $mode: output"
    n=$(ls s | wc -l)
    ((n >= 2)) || fail "$prog $mode: $n session files"
    merge_json all.json s/*.msgpack
    read -r allocs frees <<<"$(inst_counts all.json)"
    if [[ $mode == cycle ]]; then
      ((allocs <= total && frees <= total && allocs > 0)) ||
        fail "$prog cycle: $allocs allocations, $frees frees over the sessions, more than the $total made"
      for f in s/*.msgpack; do
        merge_json one.json "$f"
        read -r a fr <<<"$(inst_counts one.json)"
        ((a <= total && fr <= total)) || fail "$prog cycle: $f counts $a/$fr"
      done
    else
      expect_eq "$allocs $frees" "$total $total" "$prog $mode: every call in exactly one of $n sessions"
    fi
  done
done

for mode in full sampled leaks; do
  rm -rf sig && mkdir sig
  out=$(MEMSCOPE_MODE=$mode MEMSCOPE_SAMPLE_INTERVAL=1 MEMSCOPE_OUT=sig ./sess_inline signal)
  [[ $out =~ ^sessions:\ main\ ([0-9]+)\ pairs,\ handler\ ([0-9]+)\ pairs$ ]] || fail "signal: output '$out'"
  made=$((BASH_REMATCH[1] + BASH_REMATCH[2]))
  ((BASH_REMATCH[2] > 100)) || fail "signal: the handler ran only ${BASH_REMATCH[2]} times"
  merge_json sig.json "$(the_file sig)"
  python3 - sig.json "$made" "$mode" <<'PY' || fail "signal ($mode): see above"
import json, sys
d = json.load(open(sys.argv[1])); made = int(sys.argv[2]); mode = sys.argv[3]
p = d["processes"][0]; t = d["totals"]
dropped = p["dropped_events"]
inst = [s for s in d["sites"] if not s.get("uninstrumented")]
allocs = sum(s["calls"] for s in inst if s["kind"] != "free")
frees = sum(s["calls"] for s in inst if s["kind"] == "free")
bad = []
# Every call is counted or reported dropped; a handler's allocation that slipped past
# the runtime is dropped while its free is recorded, as an unmatched free.
if allocs + frees + dropped != 2 * made:
    bad.append(f"allocations {allocs} + frees {frees} + dropped {dropped} != 2 x {made} made")
if mode == "full":
    if t["unmatched_frees"] > dropped: bad.append(f"unmatched frees {t['unmatched_frees']} > dropped {dropped}")
    if t["overwritten_blocks"] != 0: bad.append(f"overwritten blocks {t['overwritten_blocks']}")
    if p["disagreeing_sites"] != 0: bad.append(f"counters and events disagree at {p['disagreeing_sites']} sites")
if mode == "leaks":
    # The live-block table under its spin locks: a handler's allocation meanwhile is
    # dropped, never a deadlock; nothing the program freed is listed live.
    if p["disagreeing_sites"] != 0: bad.append(f"counters and events disagree at {p['disagreeing_sites']} sites")
    if t["bytes_freed"] is not None: bad.append(f"bytes freed {t['bytes_freed']} (unknown in leaks mode)")
    live = sum(s["counts"]["live_blocks"]["value"] for s in inst if s["kind"] != "free")
    if live > dropped: bad.append(f"{live} instrumented blocks live at exit, more than {dropped} dropped")
for b in bad: print("FAIL:", b)
print(f"signal {mode}: {allocs} pairs counted, {dropped} events dropped")
sys.exit(1 if bad else 0)
PY
done
echo "hostile sessions: all checks passed"
