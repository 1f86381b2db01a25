#!/usr/bin/env bash
# A fatal signal in one thread while others allocate (issue #17, item 1), both modes,
# 5 runs per runtime: the program dies of SIGSEGV as it would without memscope; the
# status block names the signal; the crashing thread's 50,000 pairs and everything the
# others completed are in the file (in full mode, counts and events agree exactly).
source "$(dirname "$0")/lib.sh"
# The static build's malloc/free sites are inline (they count straight into the
# table); the _called build sends them to the runtime's entry points.
build_static crash_static "$MS_PROGRAMS/fatal_threads.c"
MEMSCOPE_PASS_INLINE=never build_static crash_called "$MS_PROGRAMS/fatal_threads.c"
build_shared crash_shared "$MS_PROGRAMS/fatal_threads.c"
for prog in crash_static crash_called crash_shared; do
  for mode in full sampled; do
    for run in $(seq 5); do
      rm -rf out && mkdir out
      status=0
      MEMSCOPE_MODE=$mode MEMSCOPE_OUT=out timeout -s KILL 25 ./$prog 2>/dev/null || status=$?
      expect_eq "$status" 139 "$prog $mode run $run: exit status (137: hung and killed)"
      f=$(the_file out)
      expect_eq "$(v2 "$f" signal)" 11 "$prog $mode run $run: the signal in the status block"
      expect_eq "$(( $(v2 "$f" status_flags) & 2 ))" 2 "$prog $mode run $run: MS_STATUS_SIGNAL"
      allocs=$(v2 "$f" allocations) frees=$(v2 "$f" frees)
      ((allocs >= 50001 && frees >= 50000)) || fail "$prog $mode run $run: $allocs allocations, $frees frees"
      # every thread frees right after it allocates: at most one block each is live
      ((allocs - frees >= 0 && allocs - frees <= 8)) ||
        fail "$prog $mode run $run: $allocs allocations against $frees frees"
      [[ $mode == full ]] && expect_eq "$(v2 "$f" disagree)" 0 "$prog full run $run: counts and events agree"
      merge_json run.json "$f"
      python3 -c 'import json,sys; p=json.load(open("run.json"))["processes"][0]; sys.exit(p["fatal_signal"]["name"] != "SIGSEGV")' ||
        fail "$prog $mode run $run: the report does not name SIGSEGV"
    done
  done
done
echo "hostile fatal_counts: all checks passed"
