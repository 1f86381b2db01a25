#!/usr/bin/env bash
# The 30-thread example, instrumented at build time: run it, merge its file and check
# every number against what the program did (and printed itself).
# Usage: threads30.sh PROGRAM MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 source=$3 work=$4
rm -rf "$work" && mkdir -p "$work/out"

# Full mode: every event, so lifetimes and live-at-exit are exact too.
MEMSCOPE_MODE=full MEMSCOPE_OUT="$work/out" "$program" >"$work/stdout" 2>"$work/stderr"
[[ -s "$work/stderr" ]] && fail "the profiled program wrote to stderr: $(cat "$work/stderr")"
expect_line "$work/stdout" '^threads30: 30 threads, 63030 allocations, 63000 frees, 19140480 bytes, 30 blocks kept$' \
  "program's own count"
files=("$work"/out/memscope.threads30.*.msgpack)
expect_eq "${#files[@]}" 1 "one output file"

"$merge" "${files[0]}" >"$work/summary" 2>"$work/merge.stderr" || fail "merge failed: $(cat "$work/merge.stderr")"
s="$work/summary"
expect_line "$s" '^memscope: 1 file, 1 process, 30 threads$' "header"
expect_line "$s" "threads30 pid [0-9]+, mode full, complete(,|$)" "file line"

# Totals: 30 workers x (1000 malloc + 100 realloc + 1000 calloc + 1 kept).
section "$s" "Totals" >"$work/totals"
for kv in "allocations 63030" "failed allocations 0" "reallocs 3000" "frees 63000" \
          "null frees 0" "unmatched frees 0" "bytes allocated 19140480" \
          "bytes freed 19138560" "live blocks at exit 30" "live bytes at exit 1920"; do
  expect_line "$work/totals" "^  ${kv% *} +${kv##* }$" "total '$kv'"
done

# Per thread: every worker exactly, by name.
section "$s" "Threads (allocations, frees, bytes)" | tail -n +2 >"$work/threads"
expect_eq "$(wc -l <"$work/threads")" 30 "thread rows"
for i in $(seq -w 0 29); do
  expect_line "$work/threads" "^ +[0-9]+ +[0-9]+ +2101 +2100 +638016 +637952 +worker-$i$" "thread worker-$i"
done

# Per site, with the source line of each call.
loc() { echo "threads30\\.c:$(line_of "$source" "site:$1"):[0-9]+"; }
section "$s" "Top sites by bytes allocated" >"$work/by_bytes"
expect_line "$work/by_bytes" "^ +15298560 +30000 +malloc +worker +.*$(loc buffer)$" "buffer site"
expect_line "$work/by_bytes" "^ +2880000 +3000 +realloc +worker +.*$(loc grow)$" "grow site"
expect_line "$work/by_bytes" "^ +960000 +30000 +calloc +worker +.*$(loc table)$" "table site"
expect_line "$work/by_bytes" "^ +1920 +30 +malloc +worker +.*$(loc kept)$" "kept site"
section "$s" "Top sites by calls" >"$work/by_calls"
# A free site's bytes are the bytes it released: buffers freed at their grown size
# every tenth iteration (30 x (509952 - 48000 + 96000)), tables at 32 bytes.
expect_line "$work/by_calls" "^ +30000 +16738560 +free +worker +.*$(loc free-buffer)$" "free-buffer site"
expect_line "$work/by_calls" "^ +30000 +960000 +free +worker +.*$(loc free-table)$" "free-table site"
section "$s" "Live at exit by site" | tail -n +2 >"$work/live"
expect_eq "$(wc -l <"$work/live")" 1 "sites live at exit"
expect_line "$work/live" "^ +30 +1920 +worker +.*$(loc kept)$" "live at exit"

# A truncated copy: every complete record is used, the cut is reported, status 1.
size=$(stat -c %s "${files[0]}")
head -c $((size * 2 / 3)) "${files[0]}" >"$work/cut.msgpack"
status=0
"$merge" "$work/cut.msgpack" >"$work/cut.summary" 2>"$work/cut.stderr" || status=$?
expect_eq "$status" 1 "exit status on a truncated file"
expect_line "$work/cut.stderr" "cut\\.msgpack: offset [0-9]+: .*truncated" "truncation named"
expect_line "$work/cut.summary" "cut\\.msgpack: .*incomplete \\(no end record\\), truncated at offset [0-9]+" "truncation shown"

# Not a memscope file: named, with the problem; the good file is still merged.
echo "hello" >"$work/foreign.msgpack"
status=0
"$merge" "$work/foreign.msgpack" "${files[0]}" >"$work/mixed.summary" 2>"$work/mixed.stderr" || status=$?
expect_eq "$status" 1 "exit status with a foreign file"
expect_line "$work/mixed.stderr" "foreign\\.msgpack: " "foreign file named"
expect_line "$work/mixed.summary" "^memscope: 2 files, 1 process, 30 threads$" "good file still merged"
expect_line "$work/mixed.summary" "foreign\\.msgpack: no usable data$" "foreign file listed"
echo "e2e threads30: all checks passed"
