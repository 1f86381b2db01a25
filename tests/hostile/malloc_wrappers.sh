#!/usr/bin/env bash
# Other tools that wrap malloc (issue #13, item 2): an instrumented program run under a
# preloaded wrapper that forwards with dlsym(RTLD_NEXT) (a tiny shim built here), under
# heaptrack, and with jemalloc preloaded, with the shared runtime and with the static
# one (its malloc interposed, -Wl,-u,malloc), in sampled and full mode, with and
# without MEMSCOPE_UNINSTRUMENTED.  Each run: exit status 0, the plain program's output,
# memscope's exact counts at the program's sites; under the shim, the shim saw each of
# the program's calls exactly once (no loop back through memscope, no second count);
# under heaptrack, heaptrack saw at least the program's allocations.
source "$(dirname "$0")/lib.sh"
command -v heaptrack >/dev/null && command -v heaptrack_print >/dev/null ||
  fail "heaptrack is not installed (Debian package heaptrack; scripts/setup should add it)"
jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
[[ -e $jemalloc ]] || fail "$jemalloc is missing (Debian package libjemalloc2; scripts/setup should add it)"

src=$MS_PROGRAMS/wrap_threads.c
"$MS_CLANG" -O2 -shared -fPIC "$MS_PROGRAMS/wrap_shim.c" -o shim.so -ldl || fail "building the shim"
build_plain plain "$src"
build_shared shared "$src"
build_static static "$src" -Wl,-u,malloc
[[ $(nm static) =~ [TW]\ malloc$'\n' ]] || fail "the static build does not interpose malloc"

# The program's own numbers: 4 threads x 1000 rounds.
want_out=$(timeout 60 ./plain) || fail "plain run"
WRAP_SHIM_OUT=$PWD/shim.plain timeout 60 env LD_PRELOAD=$PWD/shim.so ./plain >/dev/null ||
  fail "plain run under the shim"
want_shim=$(cat shim.plain)
expect_eq "$want_shim" "malloc 4000 calloc 4000 realloc 4000 free 8000" "the shim on the plain program"

# check_counts JSON: the exact calls at wrap_threads.c's sites.
check_counts() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
got = {}
for s in d["sites"]:
    if s.get("uninstrumented"): continue
    f = s.get("frames") or []
    if f and (f[0].get("file") or "").endswith("wrap_threads.c"):
        got[s["api"]] = got.get(s["api"], 0) + s["calls"]
want = {"malloc": 4000, "calloc": 4000, "realloc": 4000, "free": 8000}
if got != want:
    print(f"  site calls {got}, expected {want}")
    sys.exit(1)
PY
}

runs=0
for build in shared static; do
  for mode in sampled full; do
    for uninst in 0 1; do
      for how in none shim heaptrack jemalloc; do
        what="$build, $mode, MEMSCOPE_UNINSTRUMENTED=$uninst, $how"
        run=$build.$mode.$uninst.$how
        mkdir -p "$run"
        export MEMSCOPE_MODE=$mode MEMSCOPE_UNINSTRUMENTED=$uninst MEMSCOPE_OUT=$PWD/$run
        rc=0
        case $how in
          none) timeout 60 ./$build >$run.out 2>$run.err || rc=$? ;;
          shim) WRAP_SHIM_OUT=$PWD/$run.shim timeout 60 env LD_PRELOAD=$PWD/shim.so ./$build \
                  >$run.out 2>$run.err || rc=$? ;;
          heaptrack) timeout 120 heaptrack -o "$PWD/$run/ht" ./$build >$run.ht 2>$run.err || rc=$?
                     grep '^wrap:' $run.ht >$run.out || true ;;
          jemalloc) timeout 60 env LD_PRELOAD=$jemalloc ./$build >$run.out 2>$run.err || rc=$? ;;
        esac
        [[ $rc == 0 ]] || fail "$what: exit status $rc (124: timed out, a loop): $(tail -3 $run.err)"
        expect_eq "$(cat $run.out)" "$want_out" "$what: program output"
        merge_json $run.json $run/memscope.*.msgpack
        check_counts $run.json || fail "$what: memscope's exact counts"
        case $how in
          shim) expect_eq "$(cat $run.shim)" "$want_shim" \
                  "$what: the shim's count of the program's calls (each exactly once)" ;;
          heaptrack)
            heaptrack_print "$run"/ht.* >$run.htprint 2>&1 || fail "$what: heaptrack_print"
            n=$(sed -n 's/^calls to allocation functions: \([0-9]*\).*/\1/p' $run.htprint)
            [[ -n $n && $n -ge 12000 ]] ||
              fail "$what: heaptrack saw ${n:-no} allocation calls, fewer than the program's 12000" ;;
        esac
        runs=$((runs + 1))
      done
    done
  done
done
echo "malloc_wrappers: $runs runs: output, exit status and exact counts as without a wrapper"
