#!/usr/bin/env bash
# Shared libraries: a program of two object files linked with one instrumented shared
# library and dlopen'ing another twice (dlclose in between), blocks made in each
# library freed in the program.  Every module has its own site table; each site is
# counted exactly, with its file and line inside its library, and the dlclose'd
# library's sites keep their names.  Run in full mode, then in the default sampled
# mode (calls and allocated bytes are exact there too, from the counters).
#
# Usage: shlib.sh main PROGRAM LIB_B MERGE PROGRAMS_DIR WORKDIR
#        shlib.sh host PROGRAM LIB_B MERGE PROGRAMS_DIR WORKDIR
# "main" is programs/shlib_main.c; "host" is programs/shlib_host.c, built without
# memscope, which only dlopens LIB_B (itself linked with libmemscope.so).
source "$(dirname "$0")/lib.sh"
kind=$1 program=$2 lib_b=$3 merge=$4 src=$5 work=$6
rm -rf "$work" && mkdir -p "$work"

at() { echo ".*/$1:$(line_of "$src/$1" "site:$2 */"):[0-9]+"; }

# run MODE: runs the program in MEMSCOPE_MODE=MODE and merges into $work/MODE.summary.
run() {
  local mode=$1 out="$work/$1"
  mkdir -p "$out"
  MEMSCOPE_MODE=$mode MEMSCOPE_OUT="$out" "$program" "$lib_b" >"$out.stdout" 2>"$out.stderr" ||
    fail "$mode: the program failed: $(cat "$out.stderr")"
  [[ -s "$out.stderr" ]] && fail "$mode: the program wrote to stderr: $(cat "$out.stderr")"
  local files=("$out"/memscope.*.msgpack)
  expect_eq "${#files[@]}" 1 "$mode: one output file"
  "$merge" --top 0 "${files[0]}" >"$out.summary" 2>"$out.merge.stderr" ||
    fail "$mode: merge failed: $(cat "$out.merge.stderr")"
  section "$out.summary" "Top sites by calls" | tail -n +2 >"$out.by_calls"
  section "$out.summary" "Totals" >"$out.totals"
}

# check MODE CALLS BYTES API FUNCTION FILE MARKER: one row of "Top sites by calls".  In
# sampled mode a free site's bytes are an estimate: only its calls are exact.
check() {
  local bytes=$3
  [[ $1 == sampled && $4 == free ]] && bytes='[0-9]+±[0-9]+'
  expect_line "$work/$1.by_calls" "^ +$2 +$bytes +$4 +$5 +$(at "$6" "$7")$" "$1: site $7"
}

for mode in full sampled; do
  run "$mode"
  if [[ $kind == main ]]; then
    expect_line "$work/$mode.stdout" '^shlib: done, loads 1 1$' "$mode: program ran, libshlib_b really unloaded"
    expect_line "$work/$mode.totals" "^  allocations +43$" "$mode: total allocations"
    expect_line "$work/$mode.totals" "^  bytes allocated +2220$" "$mode: total bytes"
    check $mode 12 480 malloc main shlib_main.c main-malloc
    check $mode 10 240 free main shlib_main.c main-free
    check $mode 23 1580 free release_all shlib_util.c util-free
    # libshlib_a.so, linked: blocks freed by the program, and its own churn.
    check $mode 10 240 calloc liba_make shlib_a.c liba-make
    check $mode 5 320 malloc liba_churn shlib_a.c liba-churn
    check $mode 5 320 free liba_churn shlib_a.c liba-churn-free
    # libshlib_b.so, dlopen'ed twice: both loads add up, named after the last dlclose.
    check $mode 11 1100 malloc libb_make shlib_b.c libb-make
    check $mode 5 80 strdup libb_churn shlib_b.c libb-churn
    check $mode 5 80 free libb_churn shlib_b.c libb-churn-free
    expect_eq "$(wc -l <"$work/$mode.by_calls")" 9 "$mode: sites with calls"
  else
    expect_line "$work/$mode.stdout" '^shlib_host: done$' "$mode: host ran"
    expect_line "$work/$mode.totals" "^  allocations +18$" "$mode: total allocations (both loads)"
    check $mode 12 120 malloc libb_make shlib_b.c libb-make
    check $mode 12 120 free libb_release shlib_b.c libb-release
    check $mode 6 96 strdup libb_churn shlib_b.c libb-churn
    check $mode 6 96 free libb_churn shlib_b.c libb-churn-free
    expect_eq "$(wc -l <"$work/$mode.by_calls")" 4 "$mode: sites with calls"
  fi
  if [[ $mode == full ]]; then
    # Every block found its free, across the library boundary too.
    expect_line "$work/full.totals" "^  unmatched frees +0$" "full: unmatched frees"
    expect_line "$work/full.totals" "^  live blocks at exit +0$" "full: live blocks"
  fi
done
echo "e2e shlib ($kind, $(basename "$program")): all checks passed"
