#!/usr/bin/env bash
# A fatal signal while other threads allocate (issue #13, item 6): the handler takes the
# runtime's locks only with trylock and holds them while it writes, calls nothing that is
# not safe in a signal handler, and never creates the file.  10 runs in each mode, both
# runtimes: the program dies of SIGSEGV (status 139) within the time limit (a deadlock
# would hang it), and its file merges: header, sites, the threads' counts, no END.
source "$(dirname "$0")/lib.sh"
build_static fatal_static "$MS_PROGRAMS/fatal_threads.c"
build_shared fatal_shared "$MS_PROGRAMS/fatal_threads.c"
for prog in fatal_static fatal_shared; do
  for mode in full sampled; do
    for run in $(seq 10); do
      rm -rf out && mkdir out
      status=0
      MEMSCOPE_MODE=$mode MEMSCOPE_OUT=out timeout -s KILL 25 ./$prog 2>/dev/null || status=$?
      expect_eq "$status" 139 "$prog $mode run $run: exit status (137: hung and killed)"
      "$MS_MERGE" "$(the_file out)" >summary 2>merge.err || fail "$prog $mode run $run: merge: $(cat merge.err)"
      expect_line summary "incomplete \\(no end record\\)" "$prog $mode run $run: no END record"
      merge_json run.json "$(the_file out)"
      read -r allocs frees <<<"$(inst_counts run.json)"
      ((allocs >= 50000)) || fail "$prog $mode run $run: only $allocs allocations counted"
    done
  done
done
echo "hostile fatal_signal: all checks passed"
