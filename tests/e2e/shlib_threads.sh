#!/usr/bin/env bash
# -fPIC libraries count inline (docs/pass.md, "Which modules"): the same library source
# built twice as a shared library, one copy linked into the program and one dlopen'ed
# twice with a dlclose in between, each round running THREADS threads of malloc, calloc,
# realloc and two frees.  The libraries must reference the runtime's header and none of
# the entry points of those calls (the fast paths, not the runtime's calls, counted
# them), and every site's calls (and allocated bytes) are exact: three rounds, in full
# mode, in the default sampled mode and with a sample every ~4 KiB (the slow paths
# re-arming the shared header among the fast paths of every thread).
# --exhausted: PROGRAM is programs/tls_exhaust.c, which first uses up glibc's static TLS
# surplus with copies of LIB_LINKED (a filler with initial-exec TLS of its own), then
# dlopens LIB_DLOPEN once: it must load (no TLS of its own; a library with initial-exec
# TLS would fail with "cannot allocate memory in static TLS block") and count exactly.
#
# Usage: shlib_threads.sh [--exhausted] PROGRAM LIB_LINKED LIB_DLOPEN MERGE PROGRAMS_DIR WORKDIR
source "$(dirname "$0")/lib.sh"
exhausted=0
[[ $1 == --exhausted ]] && { exhausted=1; shift; }
program=$1 lib_a=$2 lib_b=$3 merge=$4 src=$5 work=$6
rm -rf "$work" && mkdir -p "$work"
threads=16 pairs=4000
n=$((3 * threads * pairs)) # calls of each site over the three rounds
if ((exhausted)); then
  for i in $(seq 0 255); do cp "$lib_a" "$work/fill-$i.so"; done
  lib_a=$lib_b
  pairs=1000 n=$((threads * pairs))
fi

for lib in "$lib_a" "$lib_b"; do
  undef=$(nm -D --undefined-only "$lib")
  grep -q '__memscope_shared_tls' <<<"$undef" || fail "$(basename "$lib"): no reference to __memscope_shared_tls"
  if grep -Eq '__memscope_(malloc|calloc|realloc|free)$' <<<"$undef"; then
    fail "$(basename "$lib"): calls an entry point: $(grep -E '__memscope_(malloc|calloc|realloc|free)$' <<<"$undef" | tr '\n' ' ')"
  fi
  readelf -lW "$lib" | grep -q ' TLS ' && fail "$(basename "$lib"): has TLS of its own (a dlopen would need static TLS)"
done

check() { # MODE CALLS BYTES API MARKER
  local where="at=shlib_threads_lib.c:$(line_of "$src/shlib_threads_lib.c" "site:$5 */")"
  if [[ $1 != full && $4 == free ]]; then
    expect_site "$where" "$2" - "$4" work "$1: site $5"
  else
    expect_site "$where" "$2" "$3" "$4" work "$1: site $5"
  fi
}

modes=(full sampled dense)
((exhausted)) && modes=(sampled)
for mode in "${modes[@]}"; do
  env=(MEMSCOPE_MODE=$mode)
  [[ $mode == dense ]] && env=(MEMSCOPE_MODE=sampled MEMSCOPE_SAMPLE_INTERVAL=4096)
  if ((exhausted)); then
    run_and_merge "$work/$mode" "${env[@]}" "$program" "$work" "$lib_b" $threads $pairs
    expect_line "$work/$mode.stdout" '^tls_exhaust: static TLS used up after [0-9]+ fillers, library loaded$' \
      "$mode: the library loaded with no static TLS left"
  else
    run_and_merge "$work/$mode" "${env[@]}" "$program" "$lib_b" $threads $pairs
    expect_line "$work/$mode.stdout" '^shlib_threads: done$' "$mode: program ran"
  fi
  check $mode $n $((n * 72)) malloc t-malloc # sizes 16..128, 72 on average (pairs % 8 == 0)
  check $mode $n $((n * 48)) calloc t-calloc
  check $mode $n $((n * 200)) realloc t-realloc
  check $mode $n - free t-free-q
  check $mode $n - free t-free-p
  expect_json totals.allocations $((3 * n)) "$mode: total allocations"
  if [[ $mode == full ]]; then
    expect_fields totals estimated=false unmatched_frees=0 live_blocks.value=0
  fi
  json_check "$work/$mode.json"
done
echo "e2e shlib_threads$( ((exhausted)) && echo ' (static TLS used up)'): all checks passed"
