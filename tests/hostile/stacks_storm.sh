#!/usr/bin/env bash
# Stacks on every sampled event, from a safe unwinder (issue 16, item 1): stacks_storm.c
# runs for 3 s (and on until it did enough for the checks below, at most 60 s) threads
# started and joined in a loop, a dlopen/dlclose loop of an
# instrumented library whose constructor and destructor allocate, a fork loop whose
# children allocate, and signals at a high rate whose handler maps memory (recorded,
# sampled, unwound) and allocates where the program says it may.  With the default
# stack depths (MEMSCOPE_STACK_DEPTH unset) and a 256-byte sample interval, in sampled,
# full and leaks modes: it finishes (no hang, no crash: each happened before the fixes
# in loader.c, stacks.c, sites.c and init.c), prints what the plain build prints, no child hangs,
# the sites of the program and of the library have their exact counts, and the stacks
# name the test's functions: the thread's start routine under its first allocation, the
# dlopen loop under the library's, the interrupted function under the handler's signal
# frame; and the library's constructor and destructor, which run inside dlopen and
# dlclose, have none (runtime/loader.c).
source "$(dirname "$0")/lib.sh"
src=$MS_PROGRAMS/stacks_storm.c
lib=$MS_PROGRAMS/stacks_storm_lib.c
"$MS_CLANG" -O2 -g -shared -fPIC "$lib" -o libplain.so || fail "building the plain library"
"$MS_CLANG" -O2 -g -fpass-plugin="$MS_PASS" -shared -fPIC "$lib" -o libstorm.so ||
  fail "building the instrumented library"
build_plain plain "$src"
build_shared storm "$src"

want=$(timeout 120 ./plain 1 plain.counts "$PWD/libplain.so") || fail "plain run: status $?"
unset MEMSCOPE_STACK_DEPTH
for mode in sampled full leaks; do
  rm -rf $mode && mkdir $mode
  rc=0
  got=$(MEMSCOPE_MODE=$mode MEMSCOPE_SAMPLE_INTERVAL=256 MEMSCOPE_OUT=$PWD/$mode \
        timeout -s KILL 120 ./storm 3 $mode.counts "$PWD/libstorm.so" 2>$mode.err) || rc=$?
  [[ $rc == 0 ]] || fail "$mode: exit status $rc (137: hung, killed; 139: crashed): $got $(tail -3 $mode.err)"
  expect_eq "$got" "$want" "$mode: program output"
  [[ ! -s $mode.err ]] || fail "$mode: stderr: $(head -3 $mode.err)"
  merge_json $mode.json $mode/memscope.*.msgpack
  python3 - $mode.json $mode.counts $mode <<'PY' || fail "$mode: the profile (see above)"
import json, sys
d = json.load(open(sys.argv[1])); mode = sys.argv[3]
n = dict(line.split() for line in open(sys.argv[2]))
short, dlopens = int(n["short"]), int(n["dlopens"])
bad = []
if short < 8 or dlopens < 8 or int(n["handler_mallocs"]) < 64:  # the program's minimums
    bad.append(f"too little happened: {n}")
sites = {}
for s in d["sites"]:
    f = s.get("frames") or []
    if s["api"] in ("malloc", "mmap") and f:
        sites[(s["api"], f[0].get("function"))] = s
def site(api, fn):
    s = sites.get((api, fn))
    if not s:
        bad.append(f"no {api} site in {fn}")
    return s or {"calls": None, "stacks": []}
for fn, want in (("short_thread_begin", short), ("short_thread_end", short),
                 ("short_thread_key_dtor", short), ("storm_lib_init", dlopens),
                 ("storm_lib_work", dlopens), ("storm_lib_fini", dlopens)):
    got = site("malloc", fn)["calls"]
    if got != want:
        bad.append(f"{fn}: {got} calls, the program made {want}")
def names(st):
    return [f.get("function") for f in st["frames"]]
def has_stack(api, fn, test, what):
    if not any(test(names(st)) for st in site(api, fn).get("stacks") or []):
        bad.append(f"no stack of {fn}'s {api} {what}")
if mode != "leaks":  # (leaks mode keeps the stacks of blocks still live: none here)
    has_stack("malloc", "short_thread_begin", lambda f: f[:2] == ["short_thread_begin", "short_thread_main"],
              "starts short_thread_begin, short_thread_main")
    has_stack("malloc", "storm_lib_work", lambda f: f[:3] == ["storm_lib_work", "storm_call_work", "dlopen_loop"],
              "starts storm_lib_work, storm_call_work, dlopen_loop")
    # inside dlopen and dlclose no stack is taken (loader.c): the constructor's and the
    # destructor's samples have none
    for fn in ("storm_lib_init", "storm_lib_fini"):
        if site("malloc", fn).get("stacks"):
            bad.append(f"{fn}'s malloc has stacks, taken inside dlopen or dlclose")
    has_stack("malloc", "storm_handler", lambda f: f[0] == "storm_handler" and "spin_compute" in f,
              "goes from storm_handler through the signal frame to spin_compute")
    has_stack("mmap", "storm_handler", lambda f: f[0] == "storm_handler", "starts at storm_handler")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PY
  echo "stacks_storm $mode: $(tr '\n' ' ' <$mode.counts)"
done
echo "hostile stacks_storm: all checks passed"
