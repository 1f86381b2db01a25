#!/usr/bin/env bash
# The 30-thread example, instrumented at build time: run it, merge its file and check
# every number against what the program did (and printed itself).
# Usage: threads30.sh PROGRAM MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 source=$3 work=$4
rm -rf "$work" && mkdir -p "$work"

# Full mode: every event, so lifetimes and live-at-exit are exact too.
run_and_merge "$work/run" MEMSCOPE_MODE=full "$program"
expect_line "$work/run.stdout" '^threads30: 30 threads, 63030 allocations, 63000 frees, 19140480 bytes, 30 blocks kept$' \
  "program's own count"
profile=${profiles[0]}
expect_fields . processes_count=1 threads_count=30 'count(inputs)=1'
expect_fields processes.0 program=threads30 mode=full 'pid>0'
expect_complete

# Totals: 30 workers x (1000 malloc + 100 realloc + 1000 calloc + 1 kept).
expect_fields totals estimated=false allocations=63030 failed_allocations=0 reallocs=3000 \
  frees=63000 null_frees=0 unmatched_frees=0 bytes_allocated=19140480 \
  bytes_freed.value=19138560 live_blocks.value=30 live_bytes.value=1920

# Per thread: every worker exactly, by name.
expect_json 'count(processes.0.threads)' 30 "threads"
for i in $(seq -w 0 29); do
  expect_fields "processes.0.threads[name=worker-$i].counts" allocations=2101 frees=2100 \
    bytes_allocated=638016 bytes_freed.value=637952
done

# Per site, with the source line of each call.
at() { echo "at=threads30.c:$(line_of "$source" "site:$1")"; }
expect_site "$(at buffer)" 30000 15298560 malloc worker "buffer site"
expect_site "$(at grow)" 3000 2880000 realloc worker "grow site"
expect_site "$(at table)" 30000 960000 calloc worker "table site"
expect_site "$(at kept)" 30 1920 malloc worker "kept site"
# A free site's bytes are the bytes it released: buffers freed at their grown size
# every tenth iteration (30 x (509952 - 48000 + 96000)), tables at 32 bytes.
expect_site "$(at free-buffer)" 30000 16738560 free worker "free-buffer site"
expect_site "$(at free-table)" 30000 960000 free worker "free-table site"
# Live at exit: the kept blocks alone.
expect_json 'count(sites[?counts.live_blocks.value>0])' 1 "sites live at exit"
expect_fields "sites[$(at kept),api=malloc].counts" live_blocks.value=30 live_bytes.value=1920
json_check "$work/run.json"

# The text report of the same run: its first lines (the golden tests check the layout).
"$merge" "$profile" >"$work/summary" 2>"$work/summary.stderr" ||
  fail "merge (text) failed: $(cat "$work/summary.stderr")"
expect_line "$work/summary" '^memscope: 1 file, 1 process, 30 threads$' "text: header"
expect_line "$work/summary" "threads30 pid [0-9]+, mode full, complete$" "text: file line"

# --thread N (issue 19): the site tables are that worker's own, for two workers (the
# whole program's are 30 times larger): 1000 buffers, 100 grows, 1000 tables, 1 kept
# block; frees at its free sites, 557952 bytes of buffers (16738560 / 30).  Its JSON
# `sites` say the same.
row() { # row FILE CALLS BYTES API MARKER: a "Top ... by calls" row of that site
  expect_line "$1" "^ +$2 +$3  $4 +worker .*:$(line_of "$source" "site:$5"):[0-9]+\$" \
    "--thread: $5 site's row in $1"
}
for name in worker-00 worker-29; do
  idx=$(json_get "$work/run.json" "processes.0.threads[name=$name].thread")
  t="$work/thread$idx"
  "$merge" --thread "$idx" "$profile" >"$t.txt" || fail "--thread $idx failed"
  expect_line "$t.txt" "^  filter --thread $idx: the thread tables, cross-thread frees, bottlenecks, and the site\$" \
    "--thread $idx: the filter line"
  row "$t.txt" 1000 509952 malloc buffer
  row "$t.txt" 100 96000 realloc grow
  row "$t.txt" 1000 32000 calloc table
  row "$t.txt" 1 64 malloc kept
  row "$t.txt" 1000 557952 free free-buffer
  row "$t.txt" 1000 32000 free free-table
  merge_to_json "$t.json" --thread "$idx" "$profile"
  expect_fields "processes.0.threads.0" name="$name" thread="$idx"
  expect_json 'count(processes.0.threads.0.sites)' 6 "--thread $idx: its sites"
  for kv in buffer:1000:509952 grow:100:96000 table:1000:32000 kept:1:64; do
    IFS=: read -r marker calls bytes <<<"$kv"
    id=$(json_get "$work/run.json" "sites[$(at "$marker")].id")
    expect_fields "processes.0.threads.0.sites[site=$id].counts" allocations="$calls" \
      bytes_allocated="$bytes"
  done
  json_check "$t.json"
done

# A truncated copy: every complete record is used, the cut is reported, status 1.
size=$(stat -c %s "$profile")
head -c $((size * 2 / 3)) "$profile" >"$work/cut.msgpack"
merge_to_json --status 1 "$work/cut.json" "$work/cut.msgpack"
expect_line "$work/cut.merge.stderr" "cut\\.msgpack: offset [0-9]+: .*truncated" "truncation named"
expect_fields inputs.0 status=truncated usable=true 'problem.offset>0'
# (format 2: the END record is in the first RECORDS chunk, before the cut; the events of
# the chunks cut off are what is missing)
expect_json processes.0.complete true "truncated: the end record is before the cut"
whole_events=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["processes"][0]["events"])' "$work/run.json")
cut_events=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["processes"][0]["events"])' "$work/cut.json")
((cut_events > 0 && cut_events < whole_events)) ||
  fail "truncated: $cut_events events of $whole_events"
json_check "$work/cut.json"

# Not a memscope file: named, with the problem; the good file is still merged.
echo "hello" >"$work/foreign.msgpack"
merge_to_json --status 1 "$work/mixed.json" "$work/foreign.msgpack" "$profile"
expect_line "$work/mixed.merge.stderr" "foreign\\.msgpack: " "foreign file named"
expect_fields . processes_count=1 threads_count=30 'count(inputs)=2'
expect_fields inputs.0 path~'foreign\.msgpack$' usable=false status=not_memscope
expect_fields inputs.1 usable=true status=ok
json_check "$work/mixed.json"
echo "e2e threads30: all checks passed"
