#!/usr/bin/env bash
# A fatal signal while other threads allocate (issue #13, item 6): the handler takes the
# runtime's locks only with trylock and keeps them, calls nothing that is not safe in a
# signal handler, and never creates the file.  10 runs in each mode, both
# runtimes: the program dies of SIGSEGV (status 139) within the time limit (a deadlock
# would hang it), and its file merges: header, sites, the threads' counts, no END (and
# rarely a last record cut by the death of a thread that was writing it).
source "$(dirname "$0")/lib.sh"
build_static fatal_static "$MS_PROGRAMS/fatal_threads.c"
build_shared fatal_shared "$MS_PROGRAMS/fatal_threads.c"
for prog in fatal_static fatal_shared; do
  for mode in full sampled; do
    cut=0 short=0
    for run in $(seq 10); do
      rm -rf out && mkdir out
      status=0
      MEMSCOPE_MODE=$mode MEMSCOPE_OUT=out timeout -s KILL 25 ./$prog 2>/dev/null || status=$?
      expect_eq "$status" 139 "$prog $mode run $run: exit status (137: hung and killed)"
      # A thread that was writing when the crash came (holding the lock: the handler
      # then writes nothing) may leave its record cut: the file is read up to it.
      st=0
      "$MS_MERGE" --format json -o run.json "$(the_file out)" 2>merge.err || st=$?
      if ((st != 0)); then
        expect_eq "$st" 1 "$prog $mode run $run: merge status"
        expect_line merge.err "truncated: the input ends inside a record" "$prog $mode run $run: only a cut record"
        ((++cut <= 2)) || fail "$prog $mode: more than 2 of the runs left a cut record"
      fi
      python3 -c 'import json,sys; sys.exit(json.load(open("run.json"))["processes"][0]["complete"])' ||
        fail "$prog $mode run $run: the file says it is complete"
      # The crashing thread made 50,000 pairs: its counts are there, unless another
      # thread held the lock at the crash (then the handler could write nothing).
      read -r allocs frees <<<"$(inst_counts run.json)"
      ((allocs >= 50000 || ++short <= 2)) ||
        fail "$prog $mode: runs without the crashing thread's counts (last: $allocs allocations)"
    done
  done
done
echo "hostile fatal_signal: all checks passed"
