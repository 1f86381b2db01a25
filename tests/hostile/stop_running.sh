#!/usr/bin/env bash
# memscope_stop() from another thread while 8 workers allocate (issue #17, item 1),
# full mode, 5 runs per runtime: the workers go on untraced and are joined; the file
# has the END record and every site's count (the stop's snapshots) equals its events.
source "$(dirname "$0")/lib.sh"
build_static stop_static "$MS_PROGRAMS/stop_threads.c"
build_shared stop_shared "$MS_PROGRAMS/stop_threads.c"
for prog in stop_static stop_shared; do
  for run in $(seq 5); do
    rm -rf out && mkdir out
    status=0
    MEMSCOPE_MODE=full MEMSCOPE_OUT=out ./$prog >stdout 2>stderr || status=$?
    expect_eq "$status" 0 "$prog run $run: exit status ($(cat stderr))"
    expect_eq "$(cat stdout)" "stop_threads: stopped 0" "$prog run $run: output"
    f=$(the_file out)
    expect_eq "$(v2 "$f" end)" 1 "$prog run $run: END record"
    expect_eq "$(v2 "$f" threads)" 8 "$prog run $run: the workers' THREAD records"
    expect_eq "$(v2 "$f" disagree)" 0 "$prog run $run: counts and events agree"
  done
done
echo "hostile stop_running: all checks passed"
