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
# Usage: html_report.sh MERGE MERGE_BENCH GOLDEN_DIR WORKDIR RESOURCE_MONITOR [CHROMIUM]
source "$(dirname "$0")/lib.sh"
merge=$1 bench=$2 golden=$3 work=$4 resource_monitor=$5 chromium=${6:-/usr/bin/chromium}
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
"$python" "$here/html_browser.py" "$chromium" resources.html "$work/resources.png" --resources ||
  fail "browser checks on the resource_monitor report"

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
echo "e2e html_report: all checks passed (screenshots in $work)"
