#!/usr/bin/env bash
# Inferred allocation wrappers (docs/pass.md, "Allocation wrappers"): xmalloc is found
# without being listed, and each of its callers is a malloc site of its own whose frames
# are xmalloc's malloc call and then the caller's call, with exact counts, in full and
# in the default (sampled) mode alike; the plain xmalloc's own site counts nothing.
# Usage: inferred.sh PROGRAM MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 src=$3 work=$4
rm -rf "$work" && mkdir -p "$work"

at() { echo "$(basename "$src"):$(line_of "$src" "site:$1 */")"; }
inner=$(at inner-malloc)
for mode in full sampled; do
  vars=(MEMSCOPE_UNINSTRUMENTED=0) # libc's own allocations vary (runtime.md)
  [[ $mode == sampled ]] || vars+=(MEMSCOPE_MODE=$mode)
  run_and_merge "$work/$mode" "${vars[@]}" "$program"
  expect_line "$work/$mode.stdout" '^inferred: done$' "$mode: program ran"
  check() { # caller marker calls bytes
    local site="sites[any_frame=$(at "$2"),api=malloc]"
    expect_fields "$site" calls="$3" bytes="$4" frames.0.function=xmalloc \
      "frames.0.line=${inner#*:}" frames.1.function="$1" "frames.1.line=$(line_of "$src" "site:$2 */")"
    expect_json "count(sites[?any_frame=$(at "$2"),frames.2.function~.])" 0 "$mode: $1: two frames"
  }
  check alpha call-alpha 10 240
  check beta call-beta 20 800
  check gamma_ call-gamma 30 $((30 * 8 + 29 * 30 / 2))
  check keep call-keep 2 200
  # Every malloc written in xmalloc is counted at one of its four callers' sites.
  expect_json "count(sites[?at=$inner,calls>0])" 4 "$mode: xmalloc's callers' sites"
  expect_json "count(sites[?at=$inner,api=malloc])" 5 "$mode: four callers and the plain xmalloc"
  expect_json "count(sites[?at=$inner,calls=0,frames.1.function!=x])" 1 \
    "$mode: the plain xmalloc's own site counts nothing"
  expect_json "count(sites[?at=$inner,frames.1.function~.])" 4 "$mode: the callers' sites have two frames"
  expect_json totals.allocations 62 "$mode: allocations, none counted twice"
  json_check "$work/$mode.json"
done
echo "e2e inferred: all checks passed"
