#!/usr/bin/env bash
# A program that dies by SIGSEGV, by abort() or by _exit: it dies exactly as it would
# without memscope (same status), and its file keeps what happened: on a fatal signal
# every thread's exact counts; after _exit whatever was written before.
# Usage: crash.sh PROGRAM MERGE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 work=$3
rm -rf "$work" && mkdir -p "$work"

run() { # run MODE: the program's exit status
  local status=0
  mkdir -p "$work/$1"
  MEMSCOPE_OUT="$work/$1" "$program" "$1" >/dev/null 2>"$work/$1.stderr" || status=$?
  echo "$status"
}
expect_eq "$(MEMSCOPE_MODE=off "$program" segv 2>/dev/null; echo $?)" 139 "SIGSEGV status unprofiled"
expect_eq "$(run segv)" 139 "SIGSEGV status profiled"
expect_eq "$(run abort)" 134 "SIGABRT status profiled"
expect_eq "$(run _exit)" 7 "_exit status profiled"

for mode in segv abort; do
  "$merge" "$work/$mode"/*.msgpack >"$work/$mode.summary" 2>/dev/null || true
  expect_line "$work/$mode.summary" "incomplete \\(no end record\\)" "$mode: no END record"
  section "$work/$mode.summary" "Totals" >"$work/$mode.totals"
  expect_line "$work/$mode.totals" '^  allocations +3500$' "$mode: exact allocations"
  expect_line "$work/$mode.totals" '^  frees +3500$' "$mode: exact frees"
done
# _exit runs no handler: the file is still a valid, readable profile of what was written.
"$merge" "$work/_exit"/*.msgpack >"$work/_exit.summary" 2>"$work/_exit.stderr" ||
  fail "an _exit file must still merge: $(cat "$work/_exit.stderr")"
expect_line "$work/_exit.summary" "incomplete \\(no end record\\)" "_exit: no END record"
echo "e2e crash: all checks passed"
