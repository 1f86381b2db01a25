#!/usr/bin/env bash
# `memscope run [options] -- PROGRAM ARGS` (issue 19 item 3): a fresh directory per run,
# the program's output and exit status its own, the summary's first screen and the
# report's path on stderr, exact counts in full mode, a killed program still merged, an
# uninstrumented program told what to do (and --preload), bad options refused.
# Usage: memscope_run.sh TOOLS_DIR PROGRAM_SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
tools=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
memscope=$tools/memscope
"$tools/memscope-cc" -O2 -pthread "$src" -o run_me || fail "building run_me"
clang=$(MEMSCOPE_WRAPPER_DRYRUN=1 "$tools/memscope-cc" x.o | cut -d' ' -f1)
"$clang" -O2 -pthread "$src" -o run_me_plain || fail "building run_me_plain"

# Full mode, 20,000 pairs and 7 blocks left: exact counts in the summary.
status=0
"$memscope" run --mode full --lines 12 -- ./run_me 20000 7 3 >out 2>err || status=$?
expect_eq "$status" 3 "the program's exit status"
expect_eq "$(cat out)" "run_me: done" "the program's stdout, untouched"
[[ -d memscope.run_me.1 ]] || fail "no directory memscope.run_me.1: $(ls)"
expect_line err '^memscope: recording \./run_me into memscope\.run_me\.1/$' "where it records"
workers=$(grep -Ec '^ +[0-9]+ +[0-9]+ +10000 +10000 +640000 +640000 ' memscope.run_me.1/summary.txt)
expect_eq "$workers" 2 "each worker's 10,000 pairs of 64 bytes in the summary"
expect_line memscope.run_me.1/summary.txt '^  allocations +20007$' "allocations in the summary"
expect_line memscope.run_me.1/summary.txt '^  frees +20000$' "frees in the summary"
expect_line err '^  20007 allocations of [0-9]+ bytes, 20000 frees, 0 reallocs$' \
  "the first screen (the summary's headline) is on stderr"
expect_line err '^memscope: the report: memscope\.run_me\.1/report\.html$' "where the report is"
grep -q '<html' memscope.run_me.1/report.html || fail "report.html is not HTML"
# --lines 12: the first screen is 12 lines of the summary, then "...".
shown=$(sed -n '/^memscope: recording/,/^memscope: the whole summary/p' err | sed '1,2d;$d' | grep -vc '^$' || true)
((shown <= 13)) || fail "--lines 12 printed $shown lines of the summary"
expect_line err '^\.\.\.$' "a cut summary says so"

# A second run gets its own directory; an existing one is refused.
"$memscope" run -- ./run_me 100 0 0 >/dev/null 2>err2 || fail "second run: $(cat err2)"
[[ -d memscope.run_me.2 ]] || fail "the second run reused a directory: $(ls)"
status=0
"$memscope" run -o memscope.run_me.1 -- ./run_me 100 0 0 >/dev/null 2>err3 || status=$?
expect_eq "$status" 125 "an existing output directory"
expect_line err3 '^memscope: memscope\.run_me\.1: cannot create the output directory: File exists \(choose a new one\)$' \
  "an existing output directory named"

# Killed by a signal: 128 + the signal, and what it recorded is merged all the same.
status=0
"$memscope" run -o killed --mode full -- ./run_me 1000 2 0 9 >/dev/null 2>err4 || status=$?
expect_eq "$status" 137 "status of a program killed by SIGKILL"
workers=$(grep -Ec '^ +[0-9]+ +[0-9]+ +500 +500 +32000 +32000 ' killed/summary.txt)
expect_eq "$workers" 2 "a killed program's workers, exact"

# Not built with memscope: it says what to do; --preload records it without sites.
status=0
"$memscope" run -o plain -- ./run_me_plain 100 0 4 >/dev/null 2>err5 || status=$?
expect_eq "$status" 4 "an uninstrumented program's status"
expect_line err5 'wrote no memscope file into plain/: build it with memscope-cc' "no file, said why"
"$memscope" run -o preloaded --mode full --preload -- ./run_me_plain 100 1 0 >/dev/null 2>err6 ||
  fail "--preload: $(cat err6)"
expect_line err6 'no allocation site in .*run_me_plain was built with the memscope plugin' \
  "the merge says the program was not built with the plugin"
expect_eq "$(grep -c '^memscope-merge: .*no allocation site' err6)" 1 "the merge's word said once"
# 100 pairs by the workers and the kept block, all seen by the preloaded runtime.
workers=$(grep -Ec '^ +[0-9]+ +[0-9]+ +50 +50 +3200 +3200 ' preloaded/summary.txt)
expect_eq "$workers" 2 "preloaded: each worker's 50 pairs, exact"

# Bad uses.
status=0; "$memscope" run --mode everything -- ./run_me 1 0 0 2>err7 || status=$?
expect_eq "$status" 125 "a bad mode"
expect_line err7 '^memscope: --mode everything: expected sampled, full or leaks$' "a bad mode named"
status=0; "$memscope" run 2>err8 || status=$?
expect_eq "$status" 125 "no program"
expect_line err8 'no program to run' "no program named"
# A program that cannot be run: the shell's 127, one line, no directory made.
status=0; "$memscope" run -- ./no_such_program 2>err10 || status=$?
expect_eq "$status" 127 "a program that does not exist"
expect_eq "$(cat err10)" "memscope: cannot run ./no_such_program: No such file or directory" \
  "a program that does not exist, named"
[[ ! -e memscope.no_such_program.1 ]] || fail "an output directory made for a program not run"
status=0; PATH=/nonexistent "$memscope" run -- run_me 2>err11 || status=$?
expect_eq "$status" 127 "a program not in PATH"
expect_eq "$(cat err11)" "memscope: cannot run run_me: No such file or directory" "not in PATH, named"
status=0; PATH="$PWD" "$memscope" run -- run_me 1 0 5 >/dev/null 2>err12 || status=$?
expect_eq "$status" 5 "a program found in PATH runs"
status=0; "$memscope" frobnicate 2>err9 || status=$?
expect_eq "$status" 125 "an unknown command"
echo "e2e memscope_run: all checks passed"
