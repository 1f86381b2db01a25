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
  expect_line "$work/$name.summary" "memscope\\.$name\\.[0-9.]+msgpack: $name pid [0-9]+, .*, complete$" \
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

# C++: counts depend on libstdc++ (what it inlines), so only that there are some.
run cxx_workers "$cxx_workers"
expect_line "$work/cxx_workers.stdout" '^cxx_workers: 16 threads, 8000 orders, 1024 cache entries$' "cxx_workers' work"
merged cxx_workers "$work"/cxx_workers/memscope.cxx_workers.*.msgpack
expect_line "$work/cxx_workers.totals" '^  allocations +[1-9][0-9]{3,}$' "cxx_workers: allocations counted"
echo "e2e examples: all checks passed"
