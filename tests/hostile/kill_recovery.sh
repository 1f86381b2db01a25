#!/usr/bin/env bash
# Nothing lost on SIGKILL (issue #17, item 1): 8 threads make 100,000 malloc/free pairs
# each, block, and the process kills itself with SIGKILL (no exit path of memscope
# runs).  In the default mode and in full mode, both runtimes: exactly 800,000
# allocations and 800,000 frees are in the file (read by v2_summary and by the merge),
# and in full mode as many events.
source "$(dirname "$0")/lib.sh"
# The static build's malloc/free sites are inline (they count straight into the
# table); the _called build sends them to the runtime's entry points.
build_static kill_static "$MS_PROGRAMS/kill_threads.c"
MEMSCOPE_PASS_INLINE=never build_static kill_called "$MS_PROGRAMS/kill_threads.c"
build_shared kill_shared "$MS_PROGRAMS/kill_threads.c"
for prog in kill_static kill_called kill_shared; do
  for mode in sampled full; do
    rm -rf out && mkdir out
    status=0
    MEMSCOPE_MODE=$mode MEMSCOPE_OUT=out ./$prog >stdout 2>stderr || status=$?
    expect_eq "$status" 137 "$prog $mode: killed by SIGKILL"
    expect_eq "$(cat stdout)" "kill_threads: 8 x 100000 pairs done" "$prog $mode: output"
    f=$(the_file out)
    expect_eq "$(v2 "$f" allocations)" 800000 "$prog $mode: allocations recovered"
    expect_eq "$(v2 "$f" frees)" 800000 "$prog $mode: frees recovered"
    expect_eq "$(v2 "$f" end)" 0 "$prog $mode: no END record (killed)"
    merge_json run.json "$f" # the merge reads the same
    expect_eq "$(inst_counts run.json)" "800000 800000" "$prog $mode: the merge's counts"
    if [[ $mode == full ]]; then
      expect_eq "$(v2 "$f" alloc_events)" 800000 "$prog full: allocation events"
      expect_eq "$(v2 "$f" free_events)" 800000 "$prog full: free events"
      expect_eq "$(v2 "$f" disagree)" 0 "$prog full: counts and events agree"
      bytes=$(v2 "$f" event_bytes)
      ((bytes <= 16 * 1600000)) || fail "$prog full: $bytes bytes for 1,600,000 events"
    fi
  done
done
echo "hostile kill_recovery: all checks passed"
