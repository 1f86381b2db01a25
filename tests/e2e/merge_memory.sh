#!/usr/bin/env bash
# memscope-merge's memory follows what the sites and (thread, site) pairs hold, not a
# worst case per site (issue 17, item 3; docs/merge.md, "Memory per site"): a generated
# full-mode file of 20,000 sites used by 8 threads (merge_bench -s 20000) is merged with
# -j1 under a peak RSS of 150 MB, and its report still has every site and the exact totals.
# integ's merge needed 251 MB (a map of 496-byte tallies); now 66 MB.
# Usage: merge_memory.sh MERGE MERGE_BENCH WORKDIR
source "$(dirname "$0")/lib.sh"
merge=$1 bench=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"

out=$("$bench" -t 8 -e 20000 -s 20000 -j 1 -k) || fail "merge_bench failed"
kept=$(sed -n 's/^ *kept //p' <<<"$out")
[[ -f "$kept" ]] || fail "merge_bench kept no file: $out"
mv "$kept" many_sites.msgpack

# The peak RSS of the merge alone (a child of python, ru_maxrss in KB on Linux).
rss_kb=$("$python" - "$merge" many_sites.msgpack <<'PY'
import resource, subprocess, sys
with open("report.json", "w") as out:
    rc = subprocess.call([sys.argv[1], "-j1", "--format", "json", "--no-symbolize", sys.argv[2]],
                         stdout=out)
if rc != 0:
    sys.exit("memscope-merge exited with %d" % rc)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
) || fail "merging many_sites.msgpack failed"
echo "peak RSS of the merge: $((rss_kb / 1024)) MB"
(( rss_kb < 150 * 1024 )) || fail "peak RSS $((rss_kb / 1024)) MB for 20,000 sites x 8 threads, over 150 MB"

summary=$("$python" -c '
import json, sys
d = json.load(open("report.json"))
t = d["totals"]
print(len(d["sites"]), t["allocations"], t["frees"], t["unmatched_frees"])') ||
  fail "report.json is not the JSON report"
expect_eq "$summary" "20000 80000 79209 0" "sites, allocations, frees, unmatched frees"
echo "PASS"
