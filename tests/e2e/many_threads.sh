#!/usr/bin/env bash
# 1,000 concurrent and 20,000 short-lived threads: every thread and allocation counted
# exactly; memory per recording thread bounded (docs/runtime.md: ~148 KiB reserved, a few
# pages touched); one output file whatever the number of threads.
# Usage: many_threads.sh PROGRAM MERGE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 work=$3
rm -rf "$work" && mkdir -p "$work/out" "$work/off"
MEMSCOPE_MODE=off MEMSCOPE_OUT="$work/off" "$program" >"$work/off.stdout"
MEMSCOPE_OUT="$work/out" "$program" >"$work/stdout" 2>"$work/stderr"
[[ -s "$work/stderr" ]] && fail "the program wrote to stderr: $(cat "$work/stderr")"
[[ -z "$(ls "$work/off")" ]] || fail "MEMSCOPE_MODE=off wrote files"
files=("$work"/out/*.msgpack)
expect_eq "${#files[@]}" 1 "one file for 21,000 threads"

rss_off=$(sed -E 's/.*peak rss ([0-9]+) KiB after.*/\1/' "$work/off.stdout")
rss_on=$(sed -E 's/.*peak rss ([0-9]+) KiB after.*/\1/' "$work/stdout")
fds_off=$(sed -E 's/.* ([0-9]+) open descriptors$/\1/' "$work/off.stdout")
fds_on=$(sed -E 's/.* ([0-9]+) open descriptors$/\1/' "$work/stdout")
per_thread=$(( (rss_on - rss_off) / 1000 ))
echo "rss with 1000 threads: off $rss_off KiB, sampled $rss_on KiB: $per_thread KiB per thread; fds $fds_off -> $fds_on"
((per_thread <= 64)) || fail "memory per recording thread: $per_thread KiB (bound 64)"
expect_eq "$fds_on" "$((fds_off + 1))" "open descriptors while 1,000 threads run"

"$merge" "${files[0]}" >"$work/summary" 2>"$work/merge.stderr" || fail "merge failed"
expect_line "$work/summary" '^memscope: 1 file, 1 process, 21000 threads$' "every thread"
section "$work/summary" "Totals" >"$work/totals"
expect_line "$work/totals" '^  allocations +300000$' "allocations"
expect_line "$work/totals" '^  frees +300000$' "frees"
echo "e2e many_threads: all checks passed"
