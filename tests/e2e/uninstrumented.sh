#!/usr/bin/env bash
# Allocations by code built without the plugin (issue #5): a real uninstrumented shared
# library allocates, grows and frees blocks that cross into an instrumented C++ program
# and back, from two threads.  Checked in full mode on the merge's JSON: exact counts at
# the instrumented sites, the library's calls under the uninstrumented sites with
# symbolized stacks (ul_make, ul_grow) and exact counts, every free matched (nothing the
# library freed looks leaked), C++ new counted once; then the same program built without
# the plugin under LD_PRELOAD, and resource records from the sampler.
# Usage: uninstrumented.sh CLANGXX PLUGIN RUNTIME_DIR MERGE PROGRAMS_DIR WORKDIR
source "$(dirname "$0")/lib.sh"
cxx=$1 plugin=$2 rtdir=$3 merge=$4 programs=$5 work=$6
rm -rf "$work" && mkdir -p "$work"
cc=${cxx/clang++/clang}
"$cc" -O2 -g -shared -fPIC "$programs/uninst_lib.c" -o "$work/libul.so" ||
  fail "building the uninstrumented library"
nm -D "$work/libul.so" | grep -q __memscope && fail "the library must not be instrumented"
"$cxx" -O1 -g -fpass-plugin="$plugin" "$programs/uninst_main.cpp" -L"$work" -lul \
  -Wl,-rpath,"$work" -L"$rtdir" -lmemscope -Wl,-rpath,"$rtdir" -lpthread -o "$work/main" ||
  fail "building the instrumented program"
"$cxx" -O1 -g "$programs/uninst_main.cpp" -L"$work" -lul -Wl,-rpath,"$work" -lpthread \
  -o "$work/plain" || fail "building the plain program"

export MEMSCOPE_UNINSTRUMENTED=1
run_and_merge "$work/full" MEMSCOPE_MODE=full MEMSCOPE_RESOURCE_INTERVAL=5ms "$work/main"
expect_line "$work/full.stdout" '^uninst_main: done$' "program output"

"$python" - "$work/full.json" full <<'PY' || fail "full-mode profile (see above)"
import json, sys
d = json.load(open(sys.argv[1]))
bad = []
def check(what, got, want):
    if got != want: bad.append(f"{what}: {got}, expected {want}")
sites = d["sites"]
inst = [s for s in sites if not s.get("uninstrumented")]
uninst = {s["api"]: s for s in sites if s.get("uninstrumented")}
def inst_calls(api, file_part="uninst_main.cpp"):
    return sum(s["calls"] for s in inst if s["api"] == api and s["frames"] and
               file_part in (s["frames"][0].get("file") or ""))
# Two threads, each: 1000 + 500 + 300 + 200 iterations.
if d["processes"][0]["instrumented_sites"] < 4:
    bad.append(f"instrumented_sites {d['processes'][0]['instrumented_sites']}, expected at least 4")
check("instrumented free calls", inst_calls("free"), 2000)
check("instrumented malloc calls", inst_calls("malloc"), 1000)
check("instrumented new[] calls", inst_calls("new[]"), 400)
check("instrumented delete[] calls", inst_calls("delete[]"), 400)
def stack_calls(api, fn):
    s = uninst.get(api)
    if not s: return 0
    return sum(st["est_calls"]["value"] for st in s["stacks"]
               if st["frames"] and st["frames"][0]["function"] == fn)
check("uninstrumented malloc from ul_make", stack_calls("malloc", "ul_make"), 2600)
# Full mode records reallocs as REALLOC events, which carry no stack: counted only.
if uninst["realloc"]["calls"] < 600: bad.append("uninstrumented realloc calls below 600")
# The counters agree: the library's calls are among the site's exact calls.
if uninst["malloc"]["calls"] < 2600: bad.append("uninstrumented malloc calls below 2600")
if uninst["free"]["calls"] < 1600: bad.append("uninstrumented free calls below 1600")
# Each symbolized ul_make stack goes on to the instrumented caller.
for st in uninst["malloc"]["stacks"]:
    f = st["frames"]
    if f and f[0]["function"] == "ul_make":
        if not (f[0].get("file") or "").endswith("uninst_lib.c"): bad.append(f"ul_make file {f[0]}")
        if "work" not in f[1]["function"] and "main" not in f[1]["function"]:
            bad.append(f"ul_make caller {f[1]}")
        check("live ul_make blocks at exit", st["live_est_blocks"]["value"], 0)
# new[] is not counted a second time under malloc: no uninstrumented malloc comes from
# operator new called by our code.
for st in uninst["malloc"]["stacks"]:
    names = [fr["function"] or "" for fr in st["frames"][:3]]
    if any(n.startswith("operator new") for n in names):
        bad.append(f"operator new counted under malloc: {names}")
t = d["totals"]
check("unmatched frees", t["unmatched_frees"], 0)
res = d["processes"][0]["resources"]
if not res or res["summary"]["ticks"] < 1 or res["summary"]["peak_rss_bytes"] < 1 << 20:
    bad.append(f"resource records: {res and res['summary']}")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PY

# The same program built without the plugin, the runtime preloaded: everything is
# uninstrumented, C++ new included.
# The merge says that no code of it was built with the plugin (on stderr, in the text
# report, and as instrumented_sites 0 in the JSON); the instrumented run has its sites.
run_profiled "$work/preload" MEMSCOPE_MODE=full LD_PRELOAD="$rtdir/libmemscope.so" "$work/plain"
"$merge" --format json -o "$work/preload.json" "${profiles[@]}" 2>"$work/preload.merge.stderr" ||
  fail "merging the preloaded run: $(cat "$work/preload.merge.stderr")"
expect_line "$work/preload.merge.stderr" \
  "^memscope-merge: .*\\.msgpack: no allocation site in [^ ]*plain was built with the memscope plugin" \
  "the merge names the uninstrumented program"
"$merge" "${profiles[@]}" >"$work/preload.txt" 2>/dev/null || fail "text report of the preloaded run"
expect_line "$work/preload.txt" "^    no allocation site in it was built with the memscope plugin" \
  "the text report says it"
"$merge" "$work"/full/memscope.*.msgpack >"$work/full.txt" 2>"$work/full.merge.stderr" ||
  fail "text report of the instrumented run"
grep -q "built with the memscope plugin" "$work/full.txt" "$work/full.merge.stderr" &&
  fail "the instrumented run called uninstrumented"
"$python" - "$work/preload.json" <<'PY' || fail "preloaded profile (see above)"
import json, sys
d = json.load(open(sys.argv[1]))
bad = []
sites = d["sites"]
if d["processes"][0]["instrumented_sites"] != 0:
    bad.append(f"instrumented_sites {d['processes'][0]['instrumented_sites']}, expected 0")
if any(not s.get("uninstrumented") for s in sites if s["calls"]):
    bad.append("a site that is not uninstrumented has calls")
u = {s["api"]: s for s in sites}
def from_fn(api, pred):
    return sum(st["est_calls"]["value"] for st in u[api]["stacks"]
               if st["frames"] and pred(st["frames"]))
got = from_fn("malloc", lambda f: f[0]["function"] == "ul_make")
if got != 2600: bad.append(f"malloc from ul_make: {got}, expected 2600")
got = from_fn("malloc", lambda f: any((fr["function"] or "").startswith("operator new") for fr in f[:2]))
if got < 400: bad.append(f"malloc from operator new: {got}, expected at least 400")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PY

# Sampled mode (the default): exact counters, and samples from the library with stacks.
run_and_merge "$work/sampled" MEMSCOPE_SAMPLE_INTERVAL=4K "$work/main"
"$python" - "$work/sampled.json" <<'PY' || fail "sampled profile (see above)"
import json, sys
d = json.load(open(sys.argv[1]))
u = {s["api"]: s for s in d["sites"] if s.get("uninstrumented")}
bad = []
if u["malloc"]["calls"] < 2600: bad.append(f"uninstrumented malloc calls {u['malloc']['calls']}")
if not any(st["frames"] and st["frames"][0]["function"] == "ul_make" for st in u["malloc"]["stacks"]):
    bad.append("no sampled stack from ul_make")
# In sampled mode a grown block is a sampled allocation, with its stack.
if not any(st["frames"] and st["frames"][0]["function"] == "ul_grow" for st in u["realloc"]["stacks"]):
    bad.append("no sampled stack from ul_grow")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PY
echo "e2e uninstrumented: all checks passed"
