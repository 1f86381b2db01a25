#!/usr/bin/env bash
# Leaks mode writes its list of live blocks at the session's end, which a killed process
# (SIGKILL) or one that dies of a signal never reaches: its report must say the live
# blocks are unknown, not "0 blocks live, no leaks" (issue #17, item 1, on real programs:
# a killed `zstd -T4` in leaks mode read "still live at exit: 0 blocks").  4 threads
# allocate 1,000 blocks each and keep 100 (programs/leaks_unlisted.c).  The counts are
# exact in every case (4,000 allocations, 3,600 frees); after exit the 400 live blocks
# are listed, after SIGKILL or SIGSEGV they are unknown: null in JSON, n/a in the text.
source "$(dirname "$0")/lib.sh"
build_shared leaks_unlisted "$MS_PROGRAMS/leaks_unlisted.c"
# facts FILE.json: "complete unlisted totals-live-blocks totals-live-bytes process-live-blocks
# instrumented-allocation-sites'-live-blocks" (None for null), in one python run.
facts() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); p = d["processes"][0]
v = lambda f: None if f is None else f["value"]
sites = [v(s["counts"]["live_blocks"]) for s in d["sites"] if s["kind"] != "free" and not s.get("uninstrumented")]
print(p["complete"], p["live_blocks_unlisted"], v(d["totals"]["live_blocks"]), v(d["totals"]["live_bytes"]),
      v(p["counts"]["live_blocks"]), ",".join(map(str, sites)))
PY
}
for run in exit:0 kill:137 segv:139; do
  how=${run%:*}
  rm -rf out && mkdir out
  status=0
  MEMSCOPE_MODE=leaks MEMSCOPE_OUT=out timeout -s KILL 25 ./leaks_unlisted $how >stdout 2>/dev/null || status=$?
  expect_eq "$status" "${run#*:}" "$how: exit status"
  expect_eq "$(cat stdout)" "leaks_unlisted: 4 x 1000 blocks, 100 kept" "$how: output"
  f=$(the_file out)
  expect_eq "$(v2 "$f" allocations)" 4000 "$how: allocations"
  expect_eq "$(v2 "$f" frees)" 3600 "$how: frees"
  merge_json run.json "$f"
  expect_eq "$(inst_counts run.json)" "4000 3600" "$how: the merge's counts"
  "$MS_MERGE" "$f" >run.txt 2>run.txt.err || fail "$how: text merge: $(cat run.txt.err)"
  [[ -s run.txt.err ]] && fail "$how: the merge warned: $(cat run.txt.err)"
  if [[ $how == exit ]]; then
    expect_eq "$(facts run.json)" "True False 400 25600 400 400" "exit: the 400 blocks listed"
    expect_line run.txt '^  still live at exit: 400 blocks, 25600 bytes$' "exit: summary"
    continue
  fi
  expect_eq "$(facts run.json)" "False True None None None None" "$how: live blocks unknown (null)"
  expect_line run.txt 'mode leaks, incomplete \(no end record\), live blocks not listed' "$how: file line"
  expect_line run.txt '^  still live at exit: n/a \(a leaks-mode process.s list of live blocks is missing or cut short\)$' "$how: summary"
  expect_line run.txt '^  live blocks at exit +n/a \(leaks mode, not listed\)$' "$how: totals"
  expect_line run.txt '^     unknown \(a leaks-mode process.s list of live blocks is missing or cut short\)$' "$how: leaks"
  if grep -q 'still live at exit: 0' run.txt; then fail "$how: the report says nothing is live"; fi
done
echo "hostile leaks_unlisted: all checks passed"
