#!/usr/bin/env bash
# Runs the decoder fuzz target for a bounded time, from a fresh copy of the seed corpus
# (the golden fixtures), so that a run never depends on what an earlier run found.
# Usage: run.sh FUZZER SEED_DIR WORK_DIR SECONDS
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=$4
rm -rf "$work" && mkdir -p "$work/corpus"
cp "$seeds"/*.mspk "$work/corpus/"
cd "$work"
# Fixed seed: the same inputs every run.  No RSS or malloc limit: a corrupt length may
# make msgpack reserve a large (untouched) zone, which is the decoder's problem to report,
# not a crash.  Leaks are checked by ASan at exit.
ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
  "$fuzzer" -seed=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=0 \
  -malloc_limit_mb=0 -max_len=65536 -print_final_stats=1 corpus 2>&1 | tail -25
