#!/usr/bin/env bash
# The examples of the user guide (docs/quickstart.md), one per scenario of the
# predecessor's guide: each runs, writes a complete profile, and merges; the ones with
# deterministic counts run in full mode and their exact totals are asserted.
# Usage: examples.sh MERGE SESSION100 RESOURCE_MONITOR WEB_SERVER DB_POOL CXX_WORKERS WORKDIR
source "$(dirname "$0")/lib.sh"
merge=$1 session100=$2 resource_monitor=$3 web_server=$4 db_pool=$5 cxx_workers=$6 work=$7
rm -rf "$work" && mkdir -p "$work"

# run NAME PROGRAM [VAR=VALUE...]: runs it into $work/NAME, checks stdout and stderr.
run() {
  local name=$1 program=$2
  shift 2
  mkdir -p "$work/$name"
  env "$@" MEMSCOPE_OUT="$work/$name" "$program" >"$work/$name.stdout" 2>"$work/$name.stderr" ||
    fail "$name exited with $?: $(cat "$work/$name.stderr")"
  [[ -s "$work/$name.stderr" ]] && fail "$name wrote to stderr: $(cat "$work/$name.stderr")"
  expect_line "$work/$name.stdout" "^$name: " "$name's summary line"
}
# merged NAME FILE...: merges into $work/NAME.summary and checks the file is complete.
merged() {
  local name=$1
  shift
  "$merge" "$@" >"$work/$name.summary" 2>"$work/$name.merge.stderr" ||
    fail "merge of $name: $(cat "$work/$name.merge.stderr")"
  expect_line "$work/$name.summary" "memscope\\.$name\\.[0-9a-f.]+msgpack: $name pid [0-9]+, .*, complete$" \
    "$name: a complete profile"
  section "$work/$name.summary" "Totals" >"$work/$name.totals"
}
total() { expect_line "$work/$1.totals" "^  $2 +$3$" "$1: $2"; }

run web_server "$web_server" MEMSCOPE_MODE=full
expect_line "$work/web_server.stdout" '^web_server: 20 workers, 20000 requests served, [0-9]+ response bytes, 80000 allocations$' "web_server's work"
merged web_server "$work"/web_server/memscope.web_server.*.msgpack
total web_server allocations 80000
total web_server frees 80000
total web_server "live blocks at exit" 0

run db_pool "$db_pool" MEMSCOPE_MODE=full
expect_line "$work/db_pool.stdout" '^db_pool: 10 connections, 50 threads, 10000 queries, 145000 rows processed, 40010 allocations$' "db_pool's work"
merged db_pool "$work"/db_pool/memscope.db_pool.*.msgpack
total db_pool allocations 40010
total db_pool frees 40010
total db_pool "live blocks at exit" 0

# The in-process result must agree with the merge of the same session file.
run session100 "$session100" MEMSCOPE_MODE=full
expect_line "$work/session100.stdout" '^session100: analysis_result: threads 100, total allocations 100000, peak [0-9.]+ MB, bottlenecks [0-9]+$' "session100's in-process result"
merged session100 "$work"/session100/session100.*/memscope.session100.*.msgpack
total session100 allocations 100000
total session100 frees 100000

run resource_monitor "$resource_monitor" MEMSCOPE_MODE=full MEMSCOPE_RESOURCE_INTERVAL=50ms
expect_line "$work/resource_monitor.stdout" '^resource_monitor: 50 threads x 10 rounds, 1000 allocations, checksum [0-9]+, resource sampler 50ms$' "resource_monitor's work"
merged resource_monitor "$work"/resource_monitor/memscope.resource_monitor.*.msgpack
total resource_monitor allocations 1000
total resource_monitor frees 1000
# The resource sampler's ticks, as the merge reports them: several ticks, a real RSS, CPU
# time, and every one of the 50 worker threads (each lives over 100 ms, two ticks or
# more) matched to its runtime thread by tid.
"$merge" --top 0 "$work"/resource_monitor/memscope.resource_monitor.*.msgpack >"$work/resource_monitor.all" ||
  fail "merge --top 0 of resource_monitor"
section "$work/resource_monitor.all" "Resources (CPU, memory and I/O from the resource sampler)" \
  >"$work/resource_monitor.resources"
res_value() { awk -v k="$1" 'index($0, "  " k " ") == 1 {print $NF}' "$work/resource_monitor.resources"; }
ticks=$(res_value ticks) rss=$(res_value "peak rss bytes")
user=$(res_value "cpu user ms") system=$(res_value "cpu system ms")
[[ -n "$ticks" ]] || { cat "$work/resource_monitor.resources" >&2; fail "resource_monitor: no Resources summary"; }
(( ticks >= 3 )) || fail "resource_monitor: $ticks resource ticks, expected several at 50ms"
(( rss > 1048576 )) || fail "resource_monitor: peak RSS $rss bytes, expected more than 1 MiB"
(( 10#${user/./} + 10#${system/./} > 0 )) || fail "resource_monitor: no CPU time ($user ms user, $system ms system)"
expect_line "$work/resource_monitor.resources" '^  peak vsize bytes +[1-9][0-9]{6,}$' "resource_monitor: virtual size"
threads=$(awk '/^  thread +tid +user-ms/ {on=1; next} on && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ {print $1}' \
  "$work/resource_monitor.resources" | sort -un | wc -l)
(( threads >= 50 )) || { cat "$work/resource_monitor.resources" >&2; fail "resource_monitor: $threads runtime threads with CPU times, expected the 50 workers"; }
"$merge" --json "$work"/resource_monitor/memscope.resource_monitor.*.msgpack >"$work/resource_monitor.json" ||
  fail "merge --json of resource_monitor"
python3 - "$work/resource_monitor.json" <<'PY' || fail "resource_monitor: JSON resources"
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
merged cxx_workers "$work"/cxx_workers/memscope.cxx_workers.*.msgpack
expect_line "$work/cxx_workers.totals" '^  allocations +[1-9][0-9]{3,}$' "cxx_workers: allocations counted"
echo "e2e examples: all checks passed"
