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

# check MODE CALLS BYTES API FUNCTION FILE MARKER: one site.  In sampled mode a free
# site's bytes are an estimate: only its calls are exact.
check() {
  local where
  where="at=$6:$(line_of "$src/$6" "site:$7 */")"
  if [[ $1 == sampled && $4 == free ]]; then
    expect_site "$where" "$2" - "$4" "$5" "$1: site $7"
    expect_json "sites[$where,api=free].counts.estimated" true "$1: site $7: bytes estimated"
  else
    expect_site "$where" "$2" "$3" "$4" "$5" "$1: site $7"
  fi
}

for mode in full sampled; do
  run_and_merge "$work/$mode" MEMSCOPE_MODE=$mode "$program" "$lib_b"
  if [[ $kind == main ]]; then
    expect_line "$work/$mode.stdout" '^shlib: done, loads 1 1$' "$mode: program ran, libshlib_b really unloaded"
    expect_json totals.allocations 43 "$mode: total allocations"
    expect_json totals.bytes_allocated 2220 "$mode: total bytes"
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
    expect_json 'count(sites[?calls>0])' 9 "$mode: sites with calls"
  else
    expect_line "$work/$mode.stdout" '^shlib_host: done$' "$mode: host ran"
    expect_json totals.allocations 18 "$mode: total allocations (both loads)"
    check $mode 12 120 malloc libb_make shlib_b.c libb-make
    check $mode 12 120 free libb_release shlib_b.c libb-release
    check $mode 6 96 strdup libb_churn shlib_b.c libb-churn
    check $mode 6 96 free libb_churn shlib_b.c libb-churn-free
    expect_json 'count(sites[?calls>0])' 4 "$mode: sites with calls"
  fi
  if [[ $mode == full ]]; then
    # Every block found its free, across the library boundary too.
    expect_fields totals estimated=false unmatched_frees=0 live_blocks.value=0
  fi
  json_check "$work/$mode.json"
done
echo "e2e shlib ($kind, $(basename "$program")): all checks passed"
