#!/usr/bin/env bash
# Asymmetric fences without membarrier (runtime/os.c): full mode, 8 workers allocating, a
# fork and a memscope_stop() while they run; membarrier(2) failing with ENOSYS (a seccomp
# filter) from the start (no_membarrier: the runtime falls back to full fences on both
# sides at start) and from the middle of the run (`later`: the runtime finds out at the
# fork's fence, turns its fast side's fences on, and makes the running threads pass a
# barrier).  2 runs each with the static runtime, 1 with the shared one (a loaded
# machine makes each run take seconds): exit status 0, the output, the END
# record, 8 THREAD records, and every site's count equals its events (v2_summary).
# Skipped (77) where no seccomp filter can be installed.
source "$(dirname "$0")/lib.sh"
build_plain no_membarrier "$MS_PROGRAMS/no_membarrier.c"
build_static fence_static "$MS_PROGRAMS/fence_fallback.c"
build_shared fence_shared "$MS_PROGRAMS/fence_fallback.c"
for prog in fence_static fence_shared; do
  runs=2
  [[ $prog == fence_shared ]] && runs=1
  for how in start later; do
    for run in $(seq $runs); do
      rm -rf out && mkdir out
      status=0
      if [[ $how == start ]]; then
        MEMSCOPE_MODE=full MEMSCOPE_OUT=out timeout 60 ./no_membarrier ./$prog start >stdout 2>stderr || status=$?
      else
        MEMSCOPE_MODE=full MEMSCOPE_OUT=out timeout 60 ./$prog later >stdout 2>stderr || status=$?
      fi
      [[ $status == 77 ]] && { echo "no seccomp filter here: $(cat stderr)"; exit 77; }
      expect_eq "$status" 0 "$prog $how run $run: exit status ($(cat stderr))"
      expect_eq "$(cat stdout)" "fence_fallback: stopped 0, child 0" "$prog $how run $run: output"
      f=$(the_file out)
      expect_eq "$(v2 "$f" end)" 1 "$prog $how run $run: END record"
      expect_eq "$(v2 "$f" threads)" 8 "$prog $how run $run: the workers' THREAD records"
      expect_eq "$(v2 "$f" disagree)" 0 "$prog $how run $run: counts and events agree"
    done
  done
done
echo "hostile fence_fallback: all checks passed"
