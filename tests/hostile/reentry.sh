#!/usr/bin/env bash
# Re-entry, cancellation and fork against the runtime's locks (issue #13; found by a
# review of the new runtime): each case hung the profiled program before.
#  - pthread_cancel of a thread that only allocates: it returns normally, as without
#    memscope (malloc and free are no cancellation points).
#  - A signal handler allocating while its thread is inside memscope_dump(): no hang.
#  - exit() from a signal handler: 20 runs, none hangs.
#  - fork() while threads create threads, and with a 1 ms resource sampler, and in leaks
#    mode: no child inherits a lock taken.
source "$(dirname "$0")/lib.sh"
for p in cancel dump exit fork; do build_static re_$p "$MS_PROGRAMS/reentry_$p.c"; done
build_plain re_cancel_plain "$MS_PROGRAMS/reentry_cancel.c"

want=$(./re_cancel_plain)
for setting in "full 512K" "sampled 64" "leaks 512K"; do
  read -r mode interval <<<"$setting"
  rm -rf out && mkdir out
  got=$(MEMSCOPE_MODE=$mode MEMSCOPE_SAMPLE_INTERVAL=$interval MEMSCOPE_OUT=out timeout 30 ./re_cancel) ||
    fail "cancel ($setting): status $?"
  expect_eq "$got" "$want" "cancel ($setting)"
done

rm -rf out && mkdir out
got=$(MEMSCOPE_MODE=full MEMSCOPE_OUT=out timeout 60 ./re_dump) || fail "dump in a handler: status $? (124: hung)"
expect_eq "$got" "reentry_dump: done" "dump in a handler"

for run in $(seq 20); do
  rm -rf out && mkdir out
  status=0
  MEMSCOPE_MODE=full MEMSCOPE_OUT=out timeout 10 ./re_exit || status=$?
  expect_eq "$status" 0 "exit() from a handler, run $run (124: hung)"
done

rm -rf out && mkdir out
expect_eq "$(MEMSCOPE_OUT=out timeout 200 ./re_fork threads 600)" "reentry_fork: 0 of 600 children hung" \
  "fork while threads start threads"
rm -rf out && mkdir out
expect_eq "$(MEMSCOPE_RESOURCE_INTERVAL=1ms MEMSCOPE_OUT=out timeout 200 ./re_fork plain 200)" \
  "reentry_fork: 0 of 200 children hung" "fork with the resource sampler"
rm -rf out && mkdir out # leaks mode: the child empties the live-block table (fork_signals.sh)
expect_eq "$(MEMSCOPE_MODE=leaks MEMSCOPE_OUT=out timeout 200 ./re_fork threads 200)" \
  "reentry_fork: 0 of 200 children hung" "fork in leaks mode while threads start threads"
echo "hostile reentry: all checks passed"
