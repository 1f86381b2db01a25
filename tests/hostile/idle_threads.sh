#!/usr/bin/env bash
# Idle threads (issue #13, item 1): a program that starts and joins 8, 16 and 64 threads
# that never allocate, 50 runs each, with stdout piped: it exits 0 every time, its output
# arrives whole, and the profile has main's exact counts.  glibc's own clean-up frees
# (NULL) after a thread's destructors ran, through the interposed free: that must never
# set the thread up again (it left a record pointing into an unmapped stack, and the
# exit faulted).  Both runtimes, interposition on (the default).
source "$(dirname "$0")/lib.sh"
export MEMSCOPE_UNINSTRUMENTED=1
build_static idle_static "$MS_PROGRAMS/idle_threads.c"
build_shared idle_shared "$MS_PROGRAMS/idle_threads.c"
for prog in idle_static idle_shared; do
  for n in 8 16 64; do
    for run in $(seq 50); do
      rm -rf out && mkdir out
      set +o pipefail
      MEMSCOPE_OUT=out ./$prog $n 2>stderr | cat >stdout
      status=${PIPESTATUS[0]}
      set -o pipefail
      expect_eq "$status" 0 "$prog $n threads, run $run: exit status ($(cat stderr))"
      expect_eq "$(cat stdout)" "idle_threads: $n threads joined" "$prog $n threads, run $run: piped stdout"
    done
    merge_json run.json "$(the_file out)"
    expect_eq "$(inst_counts run.json)" "10 10" "$prog $n threads: main's allocations and frees"
  done
done
echo "hostile idle_threads: all checks passed"
