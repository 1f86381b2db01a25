#!/usr/bin/env bash
# -flto and -flto=thin builds of the 30-thread example (linked with gold, which ships
# with binutils): they link, run, and count every allocation exactly once.
# Usage: lto.sh CLANG PLUGIN RUNTIME_A MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
clang=$1 plugin=$2 runtime=$3 merge=$4 source=$5 work=$6
rm -rf "$work" && mkdir -p "$work"
for lto in full thin; do
  "$clang" -O2 -g -flto=$lto -fuse-ld=gold -fpass-plugin="$plugin" "$source" "$runtime" \
    -lpthread -lm -o "$work/threads30-$lto" 2>"$work/$lto.build" ||
    fail "-flto=$lto build: $(cat "$work/$lto.build")"
  run_and_merge "$work/$lto" "$work/threads30-$lto"
  expect_json totals.allocations 63030 "-flto=$lto allocations"
  expect_json totals.bytes_allocated 19140480 "-flto=$lto bytes"
  json_check "$work/$lto.json"
done
echo "e2e lto: all checks passed"
