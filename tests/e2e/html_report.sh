#!/usr/bin/env bash
# The HTML report in a real browser (headless Chromium, Debian package chromium): it
# loads with no console error, shows the values of the JSON report it embeds (thread
# alerts included), a thread card click focuses the thread, the site table sorts and
# filters, the flame graph zooms; a screenshot is saved in WORKDIR.  The data embedded in
# every page here is checked to be the JSON report (--json) of the same input and
# filters.  Then a real run of examples/resource_monitor with the resource sampler on:
# the Resources charts (RSS with the live heap, virtual size, CPU, I/O) are drawn as SVG
# with data points, and the cards show CPU.  Then the same on a generated run of 1,000 threads and 10,000 sites
# with C++ names, whose size and load time are printed (docs/reports.md quotes them).
# The flame graph on a real run with call stacks (programs/flame_paths.cpp): whole paths
# rooted at main and the thread entry, a caller above the helper it called, estimates
# marked, origins coloured, search; and on the 1,000-thread report given stacks.
# Every page: a screenshot of every tab looked at (WORKDIR/NAME-TAB.png, sizes checked),
# charts with ticks and units on one time axis per process, no overlapping labels, no
# `??` or bare site id, the cross-thread matrix's numbers and legend (html_browser.py).
# The I/O of resource_monitor (which writes nothing to storage) leaves memscope's own
# output file out.
# Usage: html_report.sh MERGE MERGE_BENCH GOLDEN_DIR WORKDIR RESOURCE_MONITOR FLAME_PATHS [CHROMIUM]
# HTML_PART=pages: only the small pages (golden, filtered, sampled, resources, flame);
# HTML_PART=big: only the 1,000-thread pages (ctest runs the two as separate tests, each
# well under a minute on a loaded machine); unset: both.
source "$(dirname "$0")/lib.sh"
merge=$1 bench=$2 golden=$3 work=$4 resource_monitor=$5 flame_paths=$6
chromium=${7:-/usr/bin/chromium}
part=${HTML_PART:-all}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
[[ -x "$chromium" ]] ||
  fail "no chromium at $chromium: install the Debian package chromium (scripts/setup does)"
cd "$work"

# same_data PAGE JSON: the page's <script type="application/json" id="memscope-data"> holds
# the JSON report JSON (the same value, parsed), with no "<" (so no "</" or "<!--") in it.
same_data() {
  "$python" - "$1" "$2" <<'PY' || fail "$1: its data is not the JSON report $2"
import json, sys
page = open(sys.argv[1], encoding="utf-8").read()
tag = '<script type="application/json" id="memscope-data">'
start = page.index(tag) + len(tag)
data = page[start:page.index("</script>", start)]
if "<" in data:
    sys.exit("a '<' in the embedded data")
embedded, report = json.loads(data), json.load(open(sys.argv[2], encoding="utf-8"))
if embedded != report:
    diff = [k for k in sorted(set(embedded) | set(report)) if embedded.get(k) != report.get(k)]
    sys.exit("the embedded data differs from the JSON report at %s" % diff)
if report.get("schema") != "memscope-merge/1":
    sys.exit("schema %r" % report.get("schema"))
print("ok: %s embeds the JSON report %s (%d bytes of data)" % (sys.argv[1], sys.argv[2], len(data)))
PY
}

if [[ $part != big ]]; then
# The golden fixture, every interaction.
"$merge" -o golden.html "$golden/golden_full.mspk" || fail "merge -o golden.html failed"
merge_to_json golden.json "$golden/golden_full.mspk"
same_data golden.html golden.json
# With filters, the page's data is the filtered report.
"$merge" -o filtered.html --thread 2 --site 0x7f6c1b86d2799a1 "$golden/golden_full.mspk" ||
  fail "merge -o filtered.html failed"
merge_to_json filtered.json --thread 2 --site 0x7f6c1b86d2799a1 "$golden/golden_full.mspk"
same_data filtered.html filtered.json
expect_eq "$(grep -o '</script>' golden.html | wc -l)" 2 "exactly the two closing script tags"
grep -q 'http://\|https://' golden.html && grep -o 'https\?://[^"]*' golden.html | grep -v 'www.w3.org/2000/svg' &&
  fail "the report refers to the network"
"$python" "$here/html_browser.py" "$chromium" golden.html "$work/golden.png" ||
  fail "browser checks on the golden report"

# Warnings first on the Overview: a cut file (the input's problem, counts and events that
# disagree), then the golden page given every status a process can carry (html_browser.py
# checks each warning against the JSON's fields, and none where there is nothing to say).
head -c 24693 "$golden/golden_full.mspk" >cut.mspk
"$merge" -o cut.html cut.mspk 2>cut.err && fail "merge of a cut file exited 0"
grep -q 'truncated' cut.err || fail "no truncation message for cut.mspk"
"$python" "$here/html_browser.py" "$chromium" cut.html "$work/cut.png" ||
  fail "browser checks on the cut file's report"
"$python" - golden.html golden.json status.html <<'PY' || fail "could not make status.html"
import json, sys
page, report = open(sys.argv[1], encoding="utf-8").read(), json.load(open(sys.argv[2], encoding="utf-8"))
p = report["processes"][0]
p.update(complete=False, live_blocks_unlisted=True, dropped_events=1, disagreeing_sites=2, skipped_records=3, skipped_events=4,
         skipped_bytes=4096, disk_full={"at_ns": 1500000000, "lost_events": 12345, "short_sites": 2,
                                        "short_calls": 7},
         fatal_signal={"number": 11, "name": "SIGSEGV", "tid": 4242, "at_ns": None})
data = json.dumps(report, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
tag = '<script type="application/json" id="memscope-data">'
start = page.index(tag) + len(tag)
open(sys.argv[3], "w", encoding="utf-8").write(page[:start] + data + page[page.index("</script>", start):])
PY
"$python" "$here/html_browser.py" "$chromium" status.html "$work/status.png" ||
  fail "browser checks on the report with every warning"

# Sampled mode (estimates with error bars), --format to standard output: loads cleanly.
"$merge" --format html "$golden/golden_sampled.mspk" >sampled.html || fail "merge --format html failed"
merge_to_json sampled.json "$golden/golden_sampled.mspk"
same_data sampled.html sampled.json
"$python" "$here/html_browser.py" "$chromium" sampled.html "$work/sampled.png" --timing-only ||
  fail "browser checks on the sampled report"

# A real run with the resource sampler: its charts, with data.
run_profiled "$work/res" MEMSCOPE_MODE=full MEMSCOPE_RESOURCE_INTERVAL=20ms "$resource_monitor"
"$merge" -o resources.html "${profiles[@]}" || fail "merge -o resources.html failed"
grep -q '"resources":{"summary":{"ticks":' resources.html || fail "no resource data in resources.html"
merge_to_json resources.json "${profiles[@]}"
same_data resources.html resources.json
# memscope's own file (hundreds of KiB) is not the program's writes.
"$python" - resources.json "${profiles[@]}" <<'PY' || fail "memscope's own output counted as the program's writes"
import json, os, sys
s = json.load(open(sys.argv[1]))["processes"][0]["resources"]["summary"]
own = sum(os.path.getsize(f) for f in sys.argv[2:])
print("written by the program: %d bytes (memscope's own file: %d bytes)" % (s["write_bytes"], own))
sys.exit(0 if own >= 256 * 1024 and s["write_bytes"] <= 64 * 1024 else 1)
PY
"$python" "$here/html_browser.py" "$chromium" resources.html "$work/resources.png" --resources ||
  fail "browser checks on the resource_monitor report"

# A run whose samples carry call stacks: the flame graph draws whole paths.
run_profiled "$work/flame" MEMSCOPE_STACK_DEPTH=32 MEMSCOPE_SAMPLE_INTERVAL=4K MEMSCOPE_SEED=7 "$flame_paths"
"$merge" -o flame.html "${profiles[@]}" || fail "merge -o flame.html failed"
merge_to_json flame.json "${profiles[@]}"
same_data flame.html flame.json
"$python" "$here/html_browser.py" "$chromium" flame.html "$work/flame-page.png" \
  --flame-roots main,chunk_worker --flame-caller fill_table --flame-callee make_buffer \
  --flame-search FILL_t --flame-shot "$work/flame.png" || fail "browser checks on the flame graph"

fi

if [[ $part != pages ]]; then
# 1,000 threads, 10,000 sites whose names hold <, > and &.
out=$("$bench" -t 1000 -e 64 -s 10000 -k) || fail "merge_bench failed"
mv "$(awk '/kept/ {print $2}' <<<"$out")" big.msgpack
"$merge" -o big.html big.msgpack || fail "merge -o big.html failed"
grep -q 'Pool<std' big.html && fail "a program string reached the page unescaped"
grep -q 'Pool\\u003cstd::pair\\u003cint, Item' big.html || fail "escaped C++ names not found"
merge_to_json big.json big.msgpack
same_data big.html big.json
"$python" "$here/html_browser.py" "$chromium" big.html "$work/big.png" | tee big.log ||
  fail "browser checks on the 1,000-thread report"
load=$(awk '/^timing:/ {print $5}' big.log)
(( ${load%.*} < 10000 )) || fail "the 1,000-thread report took ${load} ms to load"
# The same report with a stack for each of its first 3,000 allocation sites, entered by
# one of 1,000 thread functions (the rest keep their own chains, under main): the flame
# graph stays within its limits.
"$python" - big.html big.json big_stacks.html <<'PY' || fail "could not add stacks to big.html"
import json, sys
page, report = open(sys.argv[1], encoding="utf-8").read(), json.load(open(sys.argv[2], encoding="utf-8"))
def frame(fn):
    return {"function": fn, "file": "/src/big.c", "line": 1, "column": 1, "module": "/bin/big",
            "address": "0x1000", "inlined": False, "origin": "own"}
def est(v):
    return {"value": v, "error": v // 4, "low": v - v // 4, "high": v + v // 4, "samples": 3}
for i, s in enumerate(report["sites"][:3000]):
    if s["kind"] == "free":
        continue
    outer = [frame("caller_%d" % (i % 50)), frame("worker_%d" % (i % 1000))]
    s["stacks"] = [{"id": i, "site_id": s["id"], "samples": 3, "est_calls": est(s["calls"]),
                    "est_bytes": est(s["bytes"]), "live_est_blocks": est(1), "live_est_bytes": est(1),
                    "outer_from": 0, "outer_to": len(outer), "frames": outer}]
data = json.dumps(report, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
tag = '<script type="application/json" id="memscope-data">'
start = page.index(tag) + len(tag)
open(sys.argv[3], "w", encoding="utf-8").write(page[:start] + data + page[page.index("</script>", start):])
PY
"$python" "$here/html_browser.py" "$chromium" big_stacks.html "$work/big_stacks.png" --timing-only \
  --flame-scale 300 || fail "browser checks on the 1,000-thread report with stacks"
fi
echo "e2e html_report: all checks passed (screenshots in $work)"
