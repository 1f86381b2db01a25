#!/usr/bin/env bash
# The examples of the user guide (docs/quickstart.md), one per typical use: each runs, writes a complete profile, and merges; the ones with
# deterministic counts run in full mode and their exact totals are asserted.
# Usage: examples.sh MERGE SESSION100 RESOURCE_MONITOR WEB_SERVER DB_POOL CXX_WORKERS WORKDIR
source "$(dirname "$0")/lib.sh"
merge=$1 session100=$2 resource_monitor=$3 web_server=$4 db_pool=$5 cxx_workers=$6 work=$7
rm -rf "$work" && mkdir -p "$work"

# run NAME PROGRAM [VAR=VALUE...]: runs it into $work/NAME and
# merges its profile into $work/NAME.json; its summary line, a complete profile.
run() {
  local name=$1 program=$2
  shift 2
  run_and_merge "$work/$name" "$@" "$program"
  expect_line "$work/$name.stdout" "^$name: " "$name's summary line"
  complete "$name"
}
# complete NAME: the one process in the report is NAME's, its profile complete.
complete() {
  expect_fields processes.0 program="$1" 'pid>0' path~"/memscope\\.$1\\.[0-9a-f.]+msgpack$"
  expect_complete
}

run web_server "$web_server" MEMSCOPE_MODE=full
expect_line "$work/web_server.stdout" '^web_server: 20 workers, 20000 requests served, [0-9]+ response bytes, 80000 allocations$' "web_server's work"
expect_fields totals allocations=80000 frees=80000 live_blocks.value=0 estimated=false
json_check "$work/web_server.json"

run db_pool "$db_pool" MEMSCOPE_MODE=full
expect_line "$work/db_pool.stdout" '^db_pool: 10 connections, 50 threads, 10000 queries, 145000 rows processed, 40010 allocations$' "db_pool's work"
expect_fields totals allocations=40010 frees=40010 live_blocks.value=0 estimated=false
json_check "$work/db_pool.json"

# The in-process result must agree with the merge of the same session file (the
# program's own session, in a directory of its own; the other file is the process's
# default session until then).
run_profiled --files 2 "$work/session100" MEMSCOPE_MODE=full "$session100"
expect_line "$work/session100.stdout" '^session100: analysis_result: threads 100, total allocations 100000, peak [0-9.]+ MB, bottlenecks [0-9]+$' "session100's in-process result"
session=$(printf '%s\n' "${profiles[@]}" | grep '/session100\.[0-9]*/memscope\.session100\.') ||
  fail "no session file in $work/session100/session100.PID/"
merge_to_json "$work/session100.json" "$session"
complete session100
expect_fields totals allocations=100000 frees=100000
json_check "$work/session100.json"

run resource_monitor "$resource_monitor" MEMSCOPE_MODE=full MEMSCOPE_RESOURCE_INTERVAL=50ms
expect_line "$work/resource_monitor.stdout" '^resource_monitor: 50 threads x 10 rounds, 1000 allocations, checksum [0-9]+, resource sampler 50ms$' "resource_monitor's work"
expect_fields totals allocations=1000 frees=1000
# The resource sampler's ticks, as the merge reports them: several ticks, a real RSS and
# virtual size, CPU time, and every one of the 50 worker threads (each lives over 100 ms,
# two ticks or more) matched to its runtime thread by tid.
expect_fields processes.0.resources.summary 'ticks>=3' 'peak_rss_bytes>1048576' \
  'peak_vsize_bytes>=1000000'
expect_json 'count(processes.0.resources.threads[?thread!=null,os_tid>0])' '>=' 50 \
  "resource_monitor: runtime threads with CPU times, expected the 50 workers"
json_check "$work/resource_monitor.json"
"$python" - "$work/resource_monitor.json" <<'PY' || fail "resource_monitor: JSON resources"
import json, sys
r = json.load(open(sys.argv[1]))["processes"][0]["resources"]
s, tl = r["summary"], r["timeline"]
assert s["ticks"] >= 3 and len(tl["time_ns"]) == s["ticks"], (s["ticks"], tl["time_ns"])
assert all(len(v) == len(tl["time_ns"]) for k, v in tl.items() if k != "ticks_per_point"), tl
assert tl["time_ns"] == sorted(tl["time_ns"]) and max(tl["rss_bytes"]) == s["peak_rss_bytes"], tl
assert s["cpu_user_ns"] + s["cpu_system_ns"] > 0 and s["peak_cpu_percent"] > 0, s
assert any(c is not None and c > 0 for c in tl["cpu_percent"]), tl["cpu_percent"]
names = [t for t in r["threads"] if t["thread"] is not None]
assert len(names) >= 50 and all(t["name"] for t in names), r["threads"]
# The threads are part of the process (the kernel counts both in clock ticks).
assert sum(t["cpu_share"] for t in r["threads"]) <= 1.05, r["threads"]
print("resource_monitor: %d ticks, peak RSS %d, peak CPU %.1f%%, %d threads" %
      (s["ticks"], s["peak_rss_bytes"], s["peak_cpu_percent"], len(names)))
PY

# C++: counts depend on libstdc++ (what it inlines), so only that there are some.
run cxx_workers "$cxx_workers"
expect_line "$work/cxx_workers.stdout" '^cxx_workers: 16 threads, 8000 orders, 1024 cache entries$' "cxx_workers' work"
expect_json totals.allocations '>=' 1000 "cxx_workers: allocations counted"
json_check "$work/cxx_workers.json"
echo "e2e examples: all checks passed"
