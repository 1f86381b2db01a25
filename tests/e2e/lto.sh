#!/usr/bin/env bash
# -flto and -flto=thin builds of the 30-thread example (linked with gold, which ships
# with binutils): they link, run, and count every allocation exactly once.
# Usage: lto.sh CLANG PLUGIN RUNTIME_A MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
clang=$1 plugin=$2 runtime=$3 merge=$4 source=$5 work=$6
rm -rf "$work" && mkdir -p "$work"
for lto in full thin; do
  mkdir -p "$work/$lto"
  "$clang" -O2 -g -flto=$lto -fuse-ld=gold -fpass-plugin="$plugin" "$source" "$runtime" \
    -lpthread -lm -o "$work/$lto/threads30" 2>"$work/$lto.build" ||
    fail "-flto=$lto build: $(cat "$work/$lto.build")"
  MEMSCOPE_OUT="$work/$lto" "$work/$lto/threads30" >/dev/null
  "$merge" "$work/$lto"/*.msgpack >"$work/$lto.summary" || fail "-flto=$lto merge"
  section "$work/$lto.summary" "Totals" >"$work/$lto.totals"
  expect_line "$work/$lto.totals" '^  allocations +63030$' "-flto=$lto allocations"
  expect_line "$work/$lto.totals" '^  bytes allocated +19140480$' "-flto=$lto bytes"
done
echo "e2e lto: all checks passed"
