#!/usr/bin/env bash
# Runs the decoder fuzz target for a bounded time, from a fresh copy of the seed corpus
# (the golden fixtures and seeds/, format-2 files, each also in the squeezed form that
# fuzz_decode.c inflates), so that a run never depends on what an earlier run found.
# Usage: run.sh FUZZER SEED_DIR WORK_DIR SECONDS
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=$4
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work/corpus"
for f in "$seeds"/*.mspk "$here"/seeds/*.mspk; do
  cp "$f" "$work/corpus/"
  python3 "$here/squeeze.py" "$f" "$work/corpus/$(basename "$f" .mspk).squeezed"
done
cd "$work"
# Fixed seed: the same inputs every run.  No RSS or malloc limit: a corrupt length may
# make msgpack reserve a large (untouched) zone, which is the decoder's problem to report,
# not a crash.  Leaks are checked by ASan at exit.
ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
  "$fuzzer" -seed=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=0 \
  -malloc_limit_mb=0 -max_len=65536 -print_final_stats=1 corpus 2>&1 | tail -25
