#!/usr/bin/env bash
# Records, tables and buffers of ended threads go to the next threads (runtime/thread.c):
# 1,608 threads, 8 at a time, 1,000 malloc/free pairs each.  Exit and SIGKILL (the last 8
# blocked in tables that ended threads had), default and full mode, inline and called
# sites: exactly 1,608,000 allocations and frees in the file (v2_summary and the merge),
# as many events in full mode, one THREAD record per ended thread, and no table counted
# twice (a retagged table is its new thread's alone).
source "$(dirname "$0")/lib.sh"
build_static reuse_static "$MS_PROGRAMS/reuse_threads.c"
MEMSCOPE_PASS_INLINE=never build_static reuse_called "$MS_PROGRAMS/reuse_threads.c"
n=1608000
for prog in reuse_static reuse_called; do
  for mode in sampled full; do
    for how in exit kill; do
      rm -rf out && mkdir out
      status=0
      MEMSCOPE_MODE=$mode MEMSCOPE_OUT=out ./$prog $([[ $how == kill ]] && echo kill) \
        >stdout 2>stderr || status=$?
      expect_eq "$status" "$([[ $how == kill ]] && echo 137 || echo 0)" "$prog $mode $how: status"
      expect_eq "$(cat stdout)" "reuse_threads: 1608 threads done" "$prog $mode $how: output"
      f=$(the_file out)
      expect_eq "$(v2 "$f" allocations)" $n "$prog $mode $how: allocations"
      expect_eq "$(v2 "$f" frees)" $n "$prog $mode $how: frees"
      merge_json run.json "$f"
      expect_eq "$(inst_counts run.json)" "$n $n" "$prog $mode $how: the merge's counts"
      if [[ $mode == full ]]; then
        expect_eq "$(v2 "$f" alloc_events)" $n "$prog full $how: allocation events"
        expect_eq "$(v2 "$f" disagree)" 0 "$prog full $how: counts and events agree"
      fi
    done
  done
done
echo "hostile thread_reuse: all checks passed"
