#!/usr/bin/env bash
# MEMSCOPE_MODE=leaks: the profile lists exactly the blocks live at exit (25 at site A
# over 4 threads, 7 at site B, a realloc'ed one in main, 3 in a fork child's own file)
# among 1.6 million blocks all live at once and then freed by other threads; counts stay
# exact; what leaks mode cannot know is null, not 0; no "counters and events disagree".
# Then with stacks: each leaked block carries its stack.
# Usage: leaks.sh PROGRAM MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 source=$3 work=$4
rm -rf "$work" && mkdir -p "$work"

run_and_merge --files 2 "$work/run" MEMSCOPE_MODE=leaks MEMSCOPE_UNINSTRUMENTED=0 "$program"

site() { echo "sites[at=leaks.c:$(line_of "$source" "$1 */"),api=$2]"; }
# site_a returns what it allocated: an inferred wrapper, whose two calls in worker are
# sites of their own (docs/pass.md, "Allocation wrappers").
via() { echo "sites[at=leaks.c:$(line_of "$source" "$1 */"),any_frame=leaks.c:$(line_of "$source" "$2 */"),api=$3]"; }
parent='processes[counts.allocations=1600074]'
child='processes[counts.allocations=3]'
expect_fields . processes_count=2
expect_fields "$parent" mode=leaks sampled=false complete=true disagreeing_sites=0 \
  dropped_events=0 cross_thread=null peak.bytes=null counts.frees=1600040 counts.reallocs=1 \
  counts.bytes_allocated=428869537 counts.live_blocks.value=33 counts.live_blocks.error=0 \
  counts.live_bytes.value=29307 counts.bytes_freed=null counts.peak_live_bytes=null \
  counts.short_lived=null counts.cross_thread_freed=null counts.null_frees=null
expect_json "count($parent.threads)" 5 "parent's threads"
# Per thread: thread 0 leaked 7 + 2, threads 1 and 2 6 + 2, thread 3 6 + 1, main 1.
for live_count in 9=1 8=2 7=1 1=1; do
  expect_json "count($parent.threads[?counts.live_blocks.value=${live_count%=*}])" \
    "${live_count#*=}" "threads with ${live_count%=*} live blocks"
done
expect_fields "$parent.threads[counts.live_blocks.value=9]" counts.allocations=400019 \
  counts.frees=400010 counts.live_bytes.value=6947 peak_live_bytes=null
# The child: only its own 3 blocks, none of its parent's.
expect_fields "$child" mode=leaks complete=true counts.frees=0 counts.live_blocks.value=3 \
  counts.live_bytes.value=231
expect_json "count($child.threads)" 1 "child's threads"
expect_fields totals estimated=false allocations=1600077 frees=1600040 \
  live_blocks.value=36 live_bytes.value=29538 bytes_freed=null peak_live_bytes=null
# Per site: A 25 blocks of 100 + 7k + thread, B 7 of 3000 + 100k + thread.
expect_fields "$(via SITE_A CALL_LEAKED malloc)" calls=25 counts.live_blocks.value=25 \
  counts.live_bytes.value=2998 counts.allocations=25 lifetimes.0.blocks=null \
  frames.0.function=site_a frames.1.function=worker
expect_fields "$(via SITE_A CALL_HANDED malloc)" calls=40 counts.live_blocks.value=0 \
  counts.allocations=40 frames.0.function=site_a frames.1.function=worker
expect_json "count(sites[?at=leaks.c:$(line_of "$source" "SITE_A */")])" 2 "site A: its two callers"
expect_fields "$(site SITE_B calloc)" calls=7 counts.live_blocks.value=7 \
  counts.live_bytes.value=21309
expect_fields "$(site SITE_FILL malloc)" calls=1600000 counts.live_blocks.value=0
expect_fields "$(site SITE_FREE free)" calls=1600040
expect_fields "$(site SITE_GROW realloc)" calls=1 counts.live_blocks.value=1 \
  counts.live_bytes.value=5000
expect_fields "$(site SITE_GROW_FROM malloc)" calls=1 counts.live_blocks.value=0
expect_fields "$(site SITE_CHILD malloc)" calls=3 counts.live_blocks.value=3
json_check "$work/run.json"
"$merge" "${profiles[@]}" >"$work/run.txt"
expect_line "$work/run.txt" '^  bytes freed +n/a \(leaks mode\)$' "text report: bytes freed unknown"
expect_line "$work/run.txt" '^  peak live bytes +n/a \(leaks mode\)$' "text report: peak unknown"
if grep -q 'disagree' "$work/run.txt"; then fail "counters and events disagree in leaks mode"; fi

# With stacks (fewer blocks: every allocation unwinds): leaked blocks carry theirs.
run_and_merge --files 2 "$work/stacks" MEMSCOPE_MODE=leaks MEMSCOPE_UNINSTRUMENTED=0 \
  MEMSCOPE_STACK_DEPTH=8 "$program" 1000
expect_fields totals allocations=4077 frees=4040 live_blocks.value=36 live_bytes.value=29538
expect_json "count($(via SITE_A CALL_LEAKED malloc).stacks)" ">=" 1 "site A's stacks"
expect_json "$(via SITE_A CALL_LEAKED malloc).stacks.0.frames.0.function" site_a "site A stack"
json_check "$work/stacks.json"
echo "e2e leaks: all checks passed"
