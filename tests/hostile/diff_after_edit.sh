#!/usr/bin/env bash
# Site IDs survive edits (docs/pass.md, "Site IDs"): examples/threads30.c built as is and
# again with lines added at its top (comments and a new function without allocations), both run in full mode;
# `memscope-merge --diff` matches every site of the two builds (0 only in base, 0 only in
# new, none changed), while the reports show each site at its new line.
source "$(dirname "$0")/lib.sh"
mkdir -p v1 v2
cp "$MS_SOURCE_DIR/examples/threads30.c" v1/threads30.c
{
  printf '/* an edit above everything:\n   three lines of comment */\n'
  printf 'static int memscope_test_added(int x) {\n  return x + 1;\n}\n'
  cat "$MS_SOURCE_DIR/examples/threads30.c"
} >v2/threads30.c
# Relative file names, as a build system would give them from the same directory.
(cd v1 && build_static ../t1 threads30.c)
(cd v2 && build_static ../t2 threads30.c)
for v in 1 2; do
  rm -rf out$v && mkdir out$v
  MEMSCOPE_MODE=full MEMSCOPE_OUT=$PWD/out$v ./t$v >/dev/null || fail "run of build $v"
done
"$MS_MERGE" --diff out1/memscope.*.msgpack out2/memscope.*.msgpack >diff.txt 2>diff.err ||
  fail "diff: status $?: $(cat diff.err)"
expect_line diff.txt "^Sites by change \([0-9]+ in both runs, 0 only in base, 0 only in new, 0 changed\)$" \
  "every site matched across the edit"
merge_json v2.json out2/memscope.*.msgpack
line=$(grep -n 'site:buffer' "$MS_SOURCE_DIR/examples/threads30.c" | cut -d: -f1)
python3 - v2.json "$((line + 5))" <<'PY' || fail "build 2's buffer site is not at its new line"
import json, sys
d = json.load(open(sys.argv[1])); want = int(sys.argv[2])
lines = [f["line"] for s in d["sites"] for f in s.get("frames", [])[:1] if f.get("function") == "worker"]
sys.exit(0 if want in lines else f"worker sites at lines {lines}, expected one at {want}")
PY
echo "hostile diff_after_edit: $(grep -o '[0-9]* in both runs' diff.txt), nothing only on one side"
