#!/usr/bin/env bash
# exit() while 50 threads allocate (issue #17, item 1), full mode, 5 runs per runtime:
# the program exits with its own status and output; the file has the END record, a
# THREAD record per thread, and every site's count equals its events exactly (the
# running threads' tables are their counts, and recording stops at one call for both).
source "$(dirname "$0")/lib.sh"
build_static exit_static "$MS_PROGRAMS/exit_threads.c"
build_shared exit_shared "$MS_PROGRAMS/exit_threads.c"
for prog in exit_static exit_shared; do
  for run in $(seq 5); do
    rm -rf out && mkdir out
    status=0
    MEMSCOPE_MODE=full MEMSCOPE_OUT=out ./$prog >stdout 2>stderr || status=$?
    expect_eq "$status" 5 "$prog run $run: exit status ($(cat stderr))"
    expect_eq "$(cat stdout)" "exit_threads: exiting" "$prog run $run: output"
    f=$(the_file out)
    expect_eq "$(v2 "$f" end)" 1 "$prog run $run: END record"
    expect_eq "$(v2 "$f" disagree)" 0 "$prog run $run: counts and events agree"
    allocs=$(v2 "$f" allocations)
    ((allocs > 0)) || fail "$prog run $run: no allocation recorded"
    expect_eq "$(v2 "$f" alloc_events)" "$allocs" "$prog run $run: an event per allocation"
  done
done
echo "hostile exit_running: all checks passed"
