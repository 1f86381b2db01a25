#!/usr/bin/env bash
# memscope-merge's pprof output read by pprof itself (`go tool pprof`, Debian golang-go):
# the golden full-mode fixture's exact numbers in each sample type, per function and per
# line, and an inlined chain shown as inlined frames.
# Usage: pprof.sh MERGE MERGE_BENCH GOLDEN_DIR WORKDIR
source "$(dirname "$0")/lib.sh"
merge=$1 bench=$2 golden=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
command -v go >/dev/null ||
  fail "no 'go' command: install the Debian package golang-go (scripts/setup does)"
# pprof keeps nothing between runs here; its caches and temp files stay in the work dir.
export HOME="$work" PPROF_TMPDIR="$work" GOCACHE="$work/gocache" GOFLAGS=
cd "$work"

"$merge" -o golden.pb.gz "$golden/golden_full.mspk" || fail "merge -o golden.pb.gz failed"
[[ "$(head -c 2 golden.pb.gz | od -An -tx1 | tr -d ' ')" == 1f8b ]] || fail "golden.pb.gz is not gzip"
top() { # top SAMPLE_INDEX [more pprof options]: the table rows of `pprof -top`
  local index=$1; shift
  go tool pprof -top -nodefraction=0 -sample_index="$index" "$@" golden.pb.gz 2>pprof.err |
    awk '/flat +flat%/ {on=1; next} on' || { cat pprof.err >&2; fail "go tool pprof failed"; }
}
# The same numbers as the text summary (tests/golden/expected/full_text.out), per function.
top alloc_space -unit=B >alloc_space
expect_line alloc_space '^ +2097252B .* main$' "alloc_space of main"
expect_line alloc_space '^ +1920B .* producer$' "alloc_space of producer"
expect_line alloc_space '^ +1016B .* consumer$' "alloc_space of consumer"
expect_eq "$(head -1 alloc_space | awk '{print $NF}')" main "the top entry by alloc_space"
top alloc_objects >alloc_objects
expect_eq "$(head -1 alloc_objects | awk '{print $1, $NF}')" "80 producer" "the top entry by alloc_objects"
expect_line alloc_objects '^ +7 .* consumer$' "alloc_objects of consumer"
expect_line alloc_objects '^ +2 .* main$' "alloc_objects of main"
top inuse_space -unit=B >inuse_space
expect_eq "$(awk '{print $1, $NF}' inuse_space)" "100B main" "inuse_space: the one block live at exit"
top inuse_objects >inuse_objects
expect_eq "$(awk '{print $1, $NF}' inuse_objects)" "1 main" "inuse_objects"
# Per line: each site is its own source line.
top alloc_objects -lines >lines
expect_line lines '^ +60 .* producer .*golden\.c:26$' "alloc_objects at golden.c:26"
expect_line lines '^ +6 .* consumer .*golden\.c:40$' "alloc_objects at golden.c:40"
expect_eq "$(wc -l <lines)" 6 "one line per allocation site"
# The default sample type is alloc_space: exact, and never empty (docs/reports.md).
go tool pprof -top golden.pb.gz 2>/dev/null | grep -q '^Type: alloc_space$' || fail "default sample type"

# Inlined chains: a site's frames are one location with a line per inlined function.
out=$("$bench" -t 2 -e 64 -s 4 -k) || fail "merge_bench failed"
kept=$(awk '/kept/ {print $2}' <<<"$out")
mv "$kept" inlined.msgpack
"$merge" -o inlined.pb.gz inlined.msgpack || fail "merge -o inlined.pb.gz failed"
go tool pprof -traces -sample_index=alloc_space inlined.pb.gz >traces 2>pprof.err ||
  { cat pprof.err >&2; fail "go tool pprof -traces failed"; }
expect_line traces 'ns0::Pool::grow \(inline\)$' "innermost frame, inlined (one spelling: no parameters or qualifiers)"
expect_line traces '^ +Worker0::run \(inline\)$' "its caller, inlined"
expect_line traces '^ +site: +0x1000$' "the site id label"
echo "e2e pprof: all checks passed"
