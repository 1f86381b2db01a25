#!/usr/bin/env bash
# A program that dies by SIGSEGV, by abort() or by _exit: it dies exactly as it would
# without memscope (same status), and its file keeps what happened: on a fatal signal
# every thread's exact counts; after _exit whatever was written before.
# Usage: crash.sh PROGRAM MERGE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 work=$3
rm -rf "$work" && mkdir -p "$work"

expect_eq "$(MEMSCOPE_MODE=off "$program" segv 2>/dev/null; echo $?)" 139 "SIGSEGV status unprofiled"
# The same status profiled; a record the crash cut short is fine.
for run in segv:139 abort:134; do
  mode=${run%:*}
  run_and_merge --status "${run#*:}" --stderr-ok --cut-ok "$work/$mode" "$program" "$mode"
  expect_json processes.0.complete false "$mode: no END record"
  expect_json totals.allocations 3500 "$mode: exact allocations"
  expect_json totals.frees 3500 "$mode: exact frees"
  json_check "$work/$mode.json"
done
# _exit runs no handler: the file is still a valid, readable profile of what was written.
run_and_merge --status 7 --stderr-ok "$work/_exit" "$program" _exit
expect_json processes.0.complete false "_exit: no END record"
json_check "$work/_exit.json"
echo "e2e crash: all checks passed"
