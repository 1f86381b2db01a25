#!/usr/bin/env python3
"""e2e/real_project: memscope-merge's exact counts against the independent count.

Usage: real_project_compare.py MERGE_JSON INST_TREE COUNTS REF_TREE

MERGE_JSON is `memscope-merge --format json` of every file the instrumented test suite
wrote.  Its instrumented sites are those whose innermost frame's file lies in INST_TREE
(the instrumented build's source tree); sites of other code (uninstrumented libraries,
reported by the runtime's interposition under sites flagged uninstrumented) are left out.

COUNTS is what real_project_count.c (an LD_PRELOAD shim) wrote while the same suite ran
on an uninstrumented build in REF_TREE: allocation calls by return address, in the
project's own binaries.  addr2line turns each address into the function and line of the
call (the innermost inlined frame, as memscope's site records it).

Both sides are keyed by (api, file relative to its tree, line) and must agree exactly,
call for call; per-api totals are printed and compared too.  The function is shown, not
compared: when clang merges two inlined copies of a call, the reference build's debug
info may name the function it was inlined into (same line), memscope's the inlined one.  Exit status 1 and a
table of the differences when they do not.
"""
import collections
import json
import os
import subprocess
import sys

# memscope's api names, as the shim counts them.
API_CLASS = {
    "malloc": "malloc", "calloc": "calloc", "realloc": "realloc", "free": "free",
    "aligned_alloc": "aligned", "memalign": "aligned", "posix_memalign": "aligned",
    "valloc": "aligned", "pvalloc": "aligned",
}


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def rel(path, tree):
    """PATH relative to TREE, or None when it lies outside."""
    if not path:
        return None
    path = os.path.normpath(os.path.join(tree, path))
    tree = os.path.normpath(tree)
    if path != tree and not path.startswith(tree + os.sep):
        return None
    return os.path.relpath(path, tree)


def memscope_counts(merge_json, tree):
    """{(api, file, line): [calls, null_or_failed]} of the instrumented sites, and
    {(api, file, line): {function}}."""
    with open(merge_json) as f:
        doc = json.load(f)
    counts = collections.defaultdict(lambda: [0, 0])
    names = collections.defaultdict(set)
    other = 0
    for site in doc["sites"]:
        frames = site.get("frames") or []
        file = rel(frames[0].get("file"), tree) if frames else None
        c = site["counts"]
        if file is None:
            other += c["allocations"] + c["frees"] + c["null_frees"]
            continue
        api = API_CLASS.get(site.get("api"))
        if api is None:
            fail(f"site {site['id']} has api {site.get('api')!r}, which the shim does not count")
        key = (api, file, frames[0].get("line") or 0)
        names[key].add(frames[0].get("function") or "?")
        if api == "free":
            n = (c["frees"] + c["null_frees"], c["null_frees"])
        elif api == "realloc":
            n = (c["reallocs"], 0)
        else:
            n = (c["allocations"] + c["failed_allocations"], c["failed_allocations"])
        counts[key][0] += n[0]
        counts[key][1] += n[1]
    return counts, names, other


def shim_counts(counts_file, tree):
    """The same keys, from the shim's addresses resolved with addr2line."""
    by_object = collections.defaultdict(list)  # object -> [(api, address, calls, nulls)]
    with open(counts_file) as f:
        for line in f:
            api, obj, addr, calls, nulls = line.split()
            if api == "overflow":
                fail(f"the shim's table overflowed ({calls} calls uncounted)")
            by_object[obj].append((api, int(addr, 16), int(calls), int(nulls)))
    counts = collections.defaultdict(lambda: [0, 0])
    names = collections.defaultdict(set)
    unresolved = []
    for obj, rows in sorted(by_object.items()):
        addrs = sorted({a for _, a, _, _ in rows})
        # The return address follows the call: look up the byte before it.
        out = subprocess.run(["addr2line", "-a", "-f", "-i", "-e", obj] +
                             [hex(a - 1) for a in addrs],
                             check=True, capture_output=True, text=True).stdout.splitlines()
        where, i = {}, 0
        for a in addrs:
            if i >= len(out) or int(out[i], 16) != a - 1:
                fail(f"unexpected addr2line output for {obj} at {hex(a - 1)}")
            function, location = out[i + 1], out[i + 2]  # innermost frame first
            i += 3
            while i < len(out) and not out[i].startswith("0x"):
                i += 2  # the frames it was inlined into
            file, _, line = location.split(" ")[0].rpartition(":")
            where[a] = (rel(file, tree), function, int(line) if line.isdigit() else 0)
        for api, a, calls, nulls in rows:
            file, function, line = where[a]
            if file is None or function == "??":
                unresolved.append(f"{api} {obj}+{hex(a)} ({calls} calls)")
                continue
            counts[(api, file, line)][0] += calls
            counts[(api, file, line)][1] += nulls
            names[(api, file, line)].add(function)
    if unresolved:
        fail("the shim counted calls addr2line cannot place in the source tree:\n  " +
             "\n  ".join(unresolved))
    return counts, names


def main():
    merge_json, inst_tree, counts_file, ref_tree = sys.argv[1:5]
    ms, ms_names, other = memscope_counts(merge_json, inst_tree)
    ref, ref_names = shim_counts(counts_file, ref_tree)

    keys = sorted(set(ms) | set(ref), key=lambda k: (k[1], k[2], k[0]))
    bad = [k for k in keys if ms.get(k, [0, 0]) != ref.get(k, [0, 0])]
    print(f"{'api':8} {'site':40} {'memscope':>9} {'shim':>9}")
    for k in keys:
        m, r = ms.get(k, [0, 0]), ref.get(k, [0, 0])
        if m == [0, 0] and r == [0, 0]:
            continue
        mark = "" if m == r else "   <-- differs"
        name = ",".join(sorted(ms_names[k] or ref_names[k]))
        if ref_names[k] and ms_names[k] and ref_names[k] != ms_names[k]:
            mark += f"   (reference debug info: {','.join(sorted(ref_names[k]))})"
        print(f"{k[0]:8} {name + ' ' + k[1] + ':' + str(k[2]):40} {m[0]:>9} {r[0]:>9}{mark}")

    totals = {}
    for side, counts in (("memscope", ms), ("shim", ref)):
        t = collections.Counter()
        for (api, _, _), (calls, nulls) in counts.items():
            t[api] += calls
            t[api + " NULL"] += nulls
        totals[side] = t
    apis = sorted(set(totals["memscope"]) | set(totals["shim"]))
    print("per-api totals (memscope / shim): " +
          ", ".join(f"{a} {totals['memscope'][a]}/{totals['shim'][a]}" for a in apis
                    if totals["memscope"][a] or totals["shim"][a]))
    sites = sum(1 for k in keys if ms.get(k, [0, 0])[0] > 0)
    print(f"instrumented call sites with calls: {sites}; calls outside the tree: {other}")
    if bad:
        fail(f"{len(bad)} site(s) differ between memscope and the independent count")
    if sites == 0:
        fail("no instrumented site made a call")
    # Summary line for the shell script: allocations and frees over the instrumented sites.
    t = totals["memscope"]
    allocs = sum(v for a, v in t.items() if not a.endswith("NULL") and a != "free")
    print(f"MATCH sites={sites} allocation_calls={allocs} free_calls={t['free']}")


if __name__ == "__main__":
    main()
