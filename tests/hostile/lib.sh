# Shared helpers for the hostile tests.  CMake (CMakeLists.txt here) sets:
#   MS_CLANG, MS_CLANGXX   the clang that matches the pass
#   MS_PASS                MemscopePass.so
#   MS_RUNTIME_DIR         the directory of libmemscope.so
#   MS_RUNTIME_STATIC      libmemscope.a
#   MS_MERGE               memscope-merge
#   MS_INCLUDE             the public headers
#   MS_PROGRAMS            tests/hostile/programs
#   MS_WORK                this test's scratch directory (emptied at start)
#   MS_SOURCE_DIR, MS_BUILD_DIR
# The assertions come from the end-to-end tests' lib.sh.
source "$MS_SOURCE_DIR/tests/e2e/lib.sh"
rm -rf "$MS_WORK" && mkdir -p "$MS_WORK"
cd "$MS_WORK"
# The tests assert exact counts of instrumented code unless they say otherwise.
export MEMSCOPE_UNINSTRUMENTED=${MEMSCOPE_UNINSTRUMENTED:-0}

# build_static OUT SOURCE... [-- FLAGS...]: instrumented, static runtime.
build_static() {
  local out=$1; shift
  "$MS_CLANG" -O2 -g -fpass-plugin="$MS_PASS" -I"$MS_INCLUDE" "$@" "$MS_RUNTIME_STATIC" \
    -lpthread -lm -ldl -o "$out" || fail "building $out"
}
# build_shared OUT SOURCE... [FLAGS...]: instrumented, shared runtime.
build_shared() {
  local out=$1; shift
  "$MS_CLANG" -O2 -g -fpass-plugin="$MS_PASS" -I"$MS_INCLUDE" "$@" -L"$MS_RUNTIME_DIR" \
    -lmemscope -Wl,-rpath,"$MS_RUNTIME_DIR" -lpthread -lm -ldl -o "$out" || fail "building $out"
}
# build_plain OUT SOURCE... [FLAGS...]: the same program without memscope.
build_plain() {
  local out=$1; shift
  "$MS_CLANG" -O2 -g -I"$MS_INCLUDE" "$@" -lpthread -lm -ldl -o "$out" || fail "building $out"
}
# merge_json OUT.json FILE...: the merge's JSON report; its warnings in OUT.json.err.
merge_json() {
  local out=$1; shift
  "$MS_MERGE" --format json -o "$out" "$@" 2>"$out.err" || fail "merge: $(cat "$out.err")"
}
# json_total FILE.json KEY: a number from the report's totals (python3).
json_total() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["totals"][sys.argv[2]])' "$1" "$2"
}
# inst_counts FILE.json: "ALLOCATIONS FREES" over the instrumented sites (exact in every
# mode: the uninstrumented sites count what libc does, which varies between systems).
inst_counts() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
a = f = 0
for s in d["sites"]:
    if s.get("uninstrumented"):
        continue
    if s["kind"] == "free":
        f += s["calls"]
    else:
        a += s["calls"]
print(a, f)
PY
}
# the_file DIR: the one profile in DIR (fails when there is not exactly one).
the_file() {
  local files=("$1"/memscope.*.msgpack)
  [[ ${#files[@]} -eq 1 && -f "${files[0]}" ]] || fail "expected one profile in $1, found: ${files[*]}"
  echo "${files[0]}"
}
# v2 FILE KEY: one figure of a format-2 file, read by the runtime tests' own reader
# (tests/unit/runtime/v2_summary.c: exact counts of the instrumented sites, events,
# the status block), independently of memscope-merge.
v2() {
  if [[ ! -s "$1.summary" || "$1.summary" -ot "$1" ]]; then
    # (it links the static runtime: off, or it would leave a profile of its own)
    MEMSCOPE_MODE=off "$MS_BUILD_DIR/tests/unit/runtime/v2_summary" "$1" >"$1.summary" 2>&1 ||
      fail "v2_summary $1: $(cat "$1.summary")"
  fi
  awk -v k="$2" '$1 == k {print $2}' "$1.summary"
}
