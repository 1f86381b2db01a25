#!/usr/bin/env bash
# Who called it (issue 16): programs/callers.cpp allocates through std::vector from two
# threads, through a function-pointer hook and through libc's asprintf.  In full mode with
# stacks, every allocation is attributed to the function of the program that asked, with
# exact counts: 150 and 350 vector growths from run_small and run_big (in make_job), 20
# and 40 hook calls from parse_a and parse_b, 25 asprintf strings in dup_names.  The text tables
# name those functions; folded stacks and pprof spell each function once.
# Usage: callers.sh PROGRAM MERGE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 work=$3
rm -rf "$work" && mkdir -p "$work"

run_and_merge "$work/full" MEMSCOPE_MODE=full MEMSCOPE_STACK_DEPTH=32 MEMSCOPE_UNINSTRUMENTED=1 \
  "$program"
expect_eq "$(cat "$work/full.stdout")" "300 700" "the program's output"

# attributed JSON FUNCTION: the allocations the report attributes to FUNCTION: sites whose
# own frames place them in FUNCTION (their first frame in the program's own code), and the
# callers that name it of sites whose frames do not say who called (uninstrumented, or
# through a function pointer): exact in full mode.
attributed() {
  python3 - "$1" "$2" <<'PY'
import json, sys
report, fn = json.load(open(sys.argv[1])), sys.argv[2]
total, estimated = 0, False
for s in report["sites"]:
    if s["kind"] == "free":
        continue
    place = s["place"]["frame"]["function"] if s["place"] else None
    if place == fn and not s.get("uninstrumented") and not s.get("through_pointer"):
        total += s["calls"]
        continue
    for c in s["callers"]:
        names = [c["frame"]["function"]] + [f["function"] for f in c["context"]]
        if fn in names:
            total += c["est_calls"]["value"]
            estimated |= c["est_calls"]["error"] != 0
print(total, "estimated" if estimated else "exact")
PY
}
expect_eq "$(attributed "$work/full.json" run_small)" "150 exact" "vector growths from run_small"
expect_eq "$(attributed "$work/full.json" run_big)" "350 exact" "vector growths from run_big"
expect_eq "$(attributed "$work/full.json" parse_a)" "20 exact" "hook calls from parse_a"
expect_eq "$(attributed "$work/full.json" parse_b)" "40 exact" "hook calls from parse_b"
# glibc's asprintf allocates once or twice per string (a buffer, then a realloc to fit),
# depending on its version: a whole number of allocations per string, all in dup_names.
read -r got kind <<<"$(attributed "$work/full.json" dup_names)"
((got > 0 && got % 25 == 0)) && [[ $kind == exact ]] ||
  fail "asprintf's allocations in dup_names: got '$got $kind', expected 25 or 50 ... exact"
# The vector's site is named at make_job, what it called (inside the library) as "via".
expect_json "sites[place.frame.function=make_job,kind=alloc].calls" 500 "make_job's site"
expect_json "sites[place.frame.function=make_job,kind=alloc].place.frame.origin" own "make_job is own code"
expect_json "sites[place.frame.function=make_job,kind=alloc].place.via.origin" system "via the C++ library"
json_check "$work/full.json"

# Text: the function column names the program's functions, never a bare library frame.
"$merge" "${profiles[@]}" >"$work/full.txt" 2>"$work/full.txt.err" || fail "text merge failed"
table=$(awk '/^Top allocation sites by calls/ {on=1; next} /^$/ {on=0} on' "$work/full.txt")
grep -Eq '^ +500 +[0-9]+ +(new|wrapper) +make_job ' <<<"$table" ||
  fail "Top allocation sites by calls: no 500-call row at make_job: $table"
grep -Eq '^ +(25|50) +[0-9]+ +malloc +dup_names .*\(uninstrumented\)$' <<<"$table" ||
  fail "Top allocation sites by calls: asprintf's strings not attributed to dup_names: $table"
grep -Eq 'from run_small ' <<<"$table" || fail "make_job's callers do not show run_small: $table"
grep -Eq '^ +40 +[0-9]+ +malloc +parse_b .*\(through a function pointer\)$' <<<"$table" ||
  fail "Top allocation sites by calls: the hook's calls not attributed to parse_b: $table"

# Folded: whole paths, rooted at the thread's entry or main, one spelling per function.
"$merge" --format folded --folded-value calls -o "$work/full.folded" "${profiles[@]}" ||
  fail "folded merge failed"
expect_line "$work/full.folded" '(^|;)run_small;make_job;.* 150$' "run_small's path through make_job"
expect_line "$work/full.folded" '^main;parse_b(;[^;]+)? 40$' "parse_b's path, rooted at main"
! grep -q '(' <(sed 's/(anonymous namespace)//g; s/operator()//g; s/(lambda[^)]*)//g' "$work/full.folded") ||
  fail "a frame with a parameter list: $(grep '(' "$work/full.folded" | head -3)"
! grep -q '__memscope' "$work/full.folded" || fail "memscope's own frames in a path"

# pprof: one Function per function, so the graph is connected: make_job (a frame of the
# site's own chain and of the stacks) is one node whose callers are run_small and run_big.
command -v go >/dev/null ||
  fail "no 'go' command: install the Debian package golang-go (scripts/setup does)"
export HOME="$work" PPROF_TMPDIR="$work" GOCACHE="$work/gocache" GOFLAGS=
"$merge" -o "$work/full.pb.gz" "${profiles[@]}" || fail "pprof merge failed"
go tool pprof -top -nodefraction=0 -sample_index=alloc_objects "$work/full.pb.gz" \
  >"$work/full.top" 2>"$work/pprof.err" || fail "go tool pprof -top: $(cat "$work/pprof.err")"
expect_eq "$(grep -c ' make_job$' "$work/full.top")" 1 "make_job is one pprof function"
expect_line "$work/full.top" '^ +[0-9]+ +[0-9.]+% +[0-9.]+% +500 +[0-9.]+% +make_job$' \
  "make_job's 500 allocations, cumulative"
go tool pprof -peek 'make_job$' -sample_index=alloc_objects "$work/full.pb.gz" \
  >"$work/full.peek" 2>"$work/pprof.err" || fail "go tool pprof -peek: $(cat "$work/pprof.err")"
expect_line "$work/full.peek" '^ +350 .* run_big$' "make_job's caller run_big in pprof"
expect_line "$work/full.peek" '^ +150 .* run_small$' "make_job's caller run_small in pprof"

# The default mode: the same places, from samples (every allocation sampled here).
run_and_merge "$work/sampled" MEMSCOPE_SAMPLE_INTERVAL=1 MEMSCOPE_STACK_DEPTH=32 \
  MEMSCOPE_UNINSTRUMENTED=1 "$program"
expect_json "sites[place.frame.function=make_job,kind=alloc].calls" 500 "make_job's site (sampled)"
json_check "$work/sampled.json"
expect_eq "$(attributed "$work/sampled.json" parse_b | cut -d' ' -f1)" 40 "hook calls from parse_b (sampled)"
echo "e2e callers: all checks passed"
