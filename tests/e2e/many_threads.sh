#!/usr/bin/env bash
# 1,000 concurrent and 20,000 short-lived threads: every thread and allocation counted
# exactly; memory per recording thread bounded (docs/runtime.md: ~148 KiB reserved, a few
# pages touched); one output file whatever the number of threads.
# Usage: many_threads.sh PROGRAM MERGE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
run_profiled --files 0 "$work/off" MEMSCOPE_MODE=off "$program"
run_and_merge "$work/on" "$program"

rss_off=$(sed -E 's/.*peak rss ([0-9]+) KiB after.*/\1/' "$work/off.stdout")
rss_on=$(sed -E 's/.*peak rss ([0-9]+) KiB after.*/\1/' "$work/on.stdout")
fds_off=$(sed -E 's/.* ([0-9]+) open descriptors$/\1/' "$work/off.stdout")
fds_on=$(sed -E 's/.* ([0-9]+) open descriptors$/\1/' "$work/on.stdout")
per_thread=$(( (rss_on - rss_off) / 1000 ))
echo "rss with 1000 threads: off $rss_off KiB, sampled $rss_on KiB: $per_thread KiB per thread; fds $fds_off -> $fds_on"
((per_thread <= 64)) || fail "memory per recording thread: $per_thread KiB (bound 64)"
expect_eq "$fds_on" "$((fds_off + 1))" "open descriptors while 1,000 threads run"

expect_fields . 'count(inputs)=1' processes_count=1 threads_count=21000
expect_fields totals allocations=300000 frees=300000
json_check "$work/on.json"
echo "e2e many_threads: all checks passed"
