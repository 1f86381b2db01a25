#!/usr/bin/env bash
# Realloc-like calls that released their old block are counted exactly per thread, in
# every mode (COUNTERS' realloc_releases, the JSON thread's "realloc_releases"): with
# them a thread's live blocks are exact in sampled mode too (allocations - frees -
# realloc_releases).  realloc(NULL, n) releases nothing, realloc(p, bigger) and
# reallocarray(p, ...) release p, realloc(p, 0) frees it; failures (a huge size, an
# overflowing reallocarray) release nothing.  Instrumented calls (17 releases and 1 live
# block per rep) and uninstrumented ones from a library built without the plugin (7 per
# rep, counted with MEMSCOPE_UNINSTRUMENTED=1); 3 threads, a fork child (counts from
# zero) and two sessions (a thread running across them: each file has its own part);
# full mode, sampled mode with every call sampled, none, and the default; static and
# shared runtime.
source "$(dirname "$0")/lib.sh"
"$MS_CLANG" -O2 -g -shared -fPIC -o librrlib.so "$MS_PROGRAMS/realloc_releases_lib.c" ||
  fail "building librrlib.so"
lib=(-L"$PWD" -lrrlib -Wl,-rpath,"$PWD")
# (-u malloc: the static archive's interposed functions are linked, docs/runtime.md)
build_static rr_static "$MS_PROGRAMS/realloc_releases.c" "${lib[@]}" -Wl,-u,malloc
build_shared rr_shared "$MS_PROGRAMS/realloc_releases.c" "${lib[@]}"

# check FILE.json MODE PER_REP: "name=REPSx/LIVE ..." for the threads of each process, by
# name (the main thread as "main"): realloc_releases in reps, and in sampled mode the
# live blocks allocations - frees - realloc_releases (in full mode "frees" has the
# releases already, docs/json.md), but for the main thread when libc's calls are counted
# (UNINSTRUMENTED=1: pthread_create's blocks, stdio's buffer are the main thread's).
check() {
  python3 - "$@" <<'PY'
import json, sys
path, mode, per_rep, uninst = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
d = json.load(open(path))
# Every site that counted calls has its SITE record, the fork child's too: its file opens
# only at exit, after the program's site table was unregistered (sites.c opens it first).
bare = [s["id"] for s in d["sites"] if s["calls"] and not s.get("described")]
if bare:
    print("sites without a SITE record:", bare); sys.exit(1)
out = []
for proc in d["processes"]:
    names = []
    for t in proc["threads"]:
        name = t["name"] if (t["name"] or "").startswith("rr-") else "main"
        rel = t["realloc_releases"]
        if rel is None:
            print("no realloc_releases in thread", t["thread"]); sys.exit(1)
        c = t["counts"]
        if mode == "sampled" and (name != "main" or uninst == "0"):
            names.append(f"{name}={rel // per_rep}x/{c['allocations'] - c['frees'] - rel}")
        elif rel % per_rep:
            names.append(f"{name}={rel}")  # not a whole number of reps: shown as is
        else:
            names.append(f"{name}={rel // per_rep}x")
    out.append(" ".join(sorted(names)))
print(" | ".join(out))
PY
}

for prog in rr_static rr_shared; do
  for setting in "full 512K" "sampled 512K" "sampled 1" "sampled 1000G"; do
    read -r mode interval <<<"$setting"
    for uninst in 0 1; do
      per_rep=$((uninst ? 24 : 17))
      what="$prog $setting uninstrumented=$uninst"
      run() { MEMSCOPE_MODE=$mode MEMSCOPE_SAMPLE_INTERVAL=$interval MEMSCOPE_UNINSTRUMENTED=$uninst "$@"; }
      live() { [[ $mode == sampled ]] && echo "/$1"; }
      main_live() { [[ $uninst == 0 ]] && live "$1"; }

      rm -rf out && mkdir out
      expect_eq "$(MEMSCOPE_OUT=out run ./$prog threads)" "realloc_releases: threads ok" "$what: output"
      files=(out/*.msgpack)
      expect_eq "${#files[@]}" 2 "$what: a file per process"
      for f in "${files[@]}"; do
        merge_json one.json "$f"
        got=$(check one.json "$mode" "$per_rep" "$uninst")
        if [[ $got == *rr-* ]]; then
          # main made no rep: what libc did there is not asserted
          got=$(sed -E 's/main=[^ ]* ?//' <<<"$got")
          expect_eq "$got" "rr-1=1x$(live 1) rr-2=2x$(live 2) rr-3=3x$(live 3)" "$what: the threads"
        else
          expect_eq "$got" "main=1x$(main_live 1)" "$what: the fork child, from zero"
        fi
      done

      rm -rf s && mkdir s
      expect_eq "$(MEMSCOPE_OUT=s run ./$prog sessions s)" "realloc_releases: sessions ok" \
        "$what: sessions output"
      first=(s/memscope.*.[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f].msgpack)
      second=(s/memscope.*.2.msgpack)
      [[ -f ${first[0]} && -f ${second[0]} ]] || fail "$what: session files: $(ls s)"
      merge_json one.json "${first[0]}"
      expect_eq "$(check one.json "$mode" "$per_rep" "$uninst")" "main=1x$(main_live 1) rr-s=1x$(live 1)" \
        "$what: first session"
      merge_json one.json "${second[0]}"
      expect_eq "$(check one.json "$mode" "$per_rep" "$uninst")" "main=3x$(main_live 3) rr-s=2x$(live 2)" \
        "$what: second session"
    done
  done
done
echo "hostile realloc_releases: all checks passed"
