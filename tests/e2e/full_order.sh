#!/usr/bin/env bash
# Full mode's times across threads (docs/runtime.md, "The clock"): issue 18's mixed loop
# (bench/mixed_loop.c: malloc, calloc, realloc and free on 4 threads, a quarter of the
# blocks handed to the next thread, which frees them, and addresses reused across threads)
# with the TSC clock and with MEMSCOPE_CLOCK=monotonic.  The merge replays the threads'
# events merged by time: a free sorted after the allocation that reused its address
# would leave an unmatched free and a block live at exit.  Asserted for each clock: the
# exact counts, no unmatched free, nothing live at exit, no event replayed out of order.
# And an unknown MEMSCOPE_CLOCK is named in one line on stderr.
# Usage: full_order.sh PROGRAM MERGE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 work=$3
rm -rf "$work" && mkdir -p "$work"

for clock in auto monotonic; do
  run_and_merge "$work/$clock" MEMSCOPE_MODE=full MEMSCOPE_CLOCK=$clock "$program" 4 50000
  expect_fields . processes_count=1 threads_count=5
  expect_complete
  # 4 x 50,000 x (malloc, calloc, realloc) and main's two; every block freed.
  expect_fields totals estimated=false allocations=600002 reallocs=200000 frees=600002 \
    unmatched_frees=0 live_blocks.value=0 live_bytes.value=0
  expect_fields processes.0.replay late_events=0
  json_check "$work/$clock.json"
done
# A value it does not know: one line on stderr naming it, and the default clock.
run_and_merge --stderr-ok "$work/bad" MEMSCOPE_MODE=full MEMSCOPE_CLOCK=tsc "$program" 2 100
expect_eq "$(cat "$work/bad.stderr")" \
  "memscope: unknown MEMSCOPE_CLOCK (auto, monotonic), using auto: tsc" "MEMSCOPE_CLOCK=tsc's warning"
expect_fields totals allocations=602 frees=602 unmatched_frees=0
json_check "$work/bad.json"
echo "full_order: ok"
