#!/usr/bin/env bash
# The README's and docs/quickstart.md's command blocks, run as written (issue 19 item 5),
# in the order a reader meets them, each document in one shell (a block's `B=$PWD/build`
# holds for the next ones).  The test gives the commands what the prose tells the reader
# to have: a built tree (`build`, a link to this build), an app.c (programs/docs_app.c),
# a Makefile, a configure script and a CMakeLists.txt for the wrapper lines, and
# memscope-merge on PATH (as installed).  After each block it checks what the block
# promises: exact counts of app.c's worker site, the files written.  A block the test
# does not know fails it: a new command in the docs gets a check here.
# Usage: docs_commands.sh SOURCE_DIR BUILD_DIR WORKDIR
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
src=$(realpath "$1") build=$(realpath "$2") work=$3
merge=$build/merge/memscope-merge
rm -rf "$work" && mkdir -p "$work" && work=$(realpath "$work")
mkdir -p "$work/bin"
ln -s "$merge" "$build/tools/memscope" "$build/tools/memscope-cc" "$work/bin/"
worker_line=$(line_of "$src/tests/e2e/programs/docs_app.c" "docs: the workers' site")

# A directory as the prose describes it: the build, app.c and a project around it.
scratch() {
  local dir=$1
  mkdir -p "$dir"
  ln -s "$build" "$dir/build"
  cp "$src/tests/e2e/programs/docs_app.c" "$dir/app.c"
  printf 'CFLAGS = -O2 -g -pthread\nLDLIBS = -pthread\nall: app\n' >"$dir/Makefile"
  # A stand-in for an autoconf configure: CC=... goes into the Makefile it writes.
  cat >"$dir/configure" <<'CONF'
#!/bin/sh
cc=cc
for a; do case $a in CC=*) cc=${a#CC=} ;; esac; done
printf 'CC = %s\nCFLAGS = -O2 -g -pthread\nLDLIBS = -pthread\nall: app\n' "$cc" >Makefile
CONF
  chmod +x "$dir/configure"
  printf '%s\n' 'cmake_minimum_required(VERSION 3.13)' 'project(app C)' \
    'find_package(Threads REQUIRED)' 'add_executable(app app.c)' \
    'target_link_libraries(app Threads::Threads)' >"$dir/CMakeLists.txt"
}

# expect_app_profile DIR WHAT: DIR holds one profile of app.c whose workers' site made
# exactly 4,000 calls (sampled mode counts calls exactly too).
checks=0
expect_app_profile() {
  local files
  mapfile -t files < <(find "$1" -maxdepth 1 -name 'memscope.app.*.msgpack')
  ((${#files[@]} == 1)) || fail "$2: ${#files[@]} profiles in $1, expected 1"
  checks=$((checks + 1))
  merge_to_json "$work/check$checks.json" "${files[@]}"
  expect_site "at=app.c:$worker_line" 4000 - malloc work "$2: the workers' site"
  json_check "$work/check$checks.json"
}

# expect_instrumented BINARY WHAT: BINARY, run in full mode, records app.c's sites.
expect_instrumented() {
  local dir=$work/run$((checks + 1))
  rm -rf "$dir"
  MEMSCOPE_MODE=full MEMSCOPE_OUT="$dir" "$1" >/dev/null || fail "$2: $1 failed"
  expect_app_profile "$dir" "$2"
}

# run_block FILE WHAT: the block's commands in this shell (its variables stay), its
# output in FILE.log; a failing command fails the test, naming the block.
run_block() {
  local status=0
  set +e
  (set -e; source "$1") >"$1.log" 2>&1 </dev/null
  status=$?
  set -e
  ((status == 0)) || { cat "$1.log" >&2; fail "$2: exit status $status"; }
  # The variables a block sets are kept for the next ones (a subshell ran it).
  eval "$(grep -E '^[A-Za-z_][A-Za-z0-9_]*=[^ ]*$' "$1" || true)"
}

# One document: its blocks in order, each recognised by its first command.
run_doc() {
  local doc=$1 dir=$work/$(basename "$1" .md)
  "$python" "$here/doc_blocks.py" "$src/$doc" "$dir.blocks"
  scratch "$dir"
  cd "$dir"
  local block where first
  for block in "$dir.blocks"/[0-9]*.sh; do
    where=$(cat "${block%.sh}.where")
    first=$(grep -Ev '^(B=|#|$)' "$block" | head -1)
    case $first in
      "bash scripts/demo"* | "bash scripts/setup"*)
        # From the top of the repository, into this build; `bash scripts/test` is this
        # very suite, so it is the one line not run.
        grep -v '^bash scripts/test' "$block" >"$block.repo"
        (cd "$src" && MEMSCOPE_BUILD_DIR=$build PATH=$PATH run_block "$block.repo" "$where")
        expect_line "$block.repo.log" '^HTML report: ' "$where: the demo's report"
        expect_line "$block.repo.log" 'threads30 pid [0-9]+.*mode full.*complete' "$where: the demo's run"
        [[ -s $build/demo/report.html ]] || fail "$where: no $build/demo/report.html"
        ;;
      *"tools/memscope-cc -O2 -pthread app.c -o app"*)
        rm -rf app memscope.app.*
        run_block "$block" "$where"
        expect_line "$block.log" '^app: 4001 allocations' "$where: the program's own output"
        expect_line "$block.log" '^memscope: the report: memscope\.app\.1/report\.html$' "$where: the report"
        [[ -s memscope.app.1/summary.txt ]] || fail "$where: no memscope.app.1/summary.txt"
        expect_app_profile memscope.app.1 "$where (memscope run)"
        ;;
      "clang-19 -O2 -g -fpass-plugin="*)
        rm -rf app app.o prof
        run_block "$block" "$where"
        expect_app_profile prof "$where (by hand)"
        ;;
      "make CC=\$B/tools/memscope-cc"*)
        # Three ways to build a project, one a line: each builds app.c anew.
        # The app the blocks before built (its profiles in prof/) is put back after.
        local line n=0
        [[ ! -e app ]] || mv app app.before
        while IFS= read -r line; do
          [[ -n $line ]] || continue
          n=$((n + 1))
          rm -rf app app.o build-ms && scratch_makefiles
          printf '%s\n' "$line" >"$block.$n"
          run_block "$block.$n" "$where, line $n"
          if [[ -x build-ms/app ]]; then
            expect_instrumented build-ms/app "$where, line $n"
          else
            expect_instrumented ./app "$where, line $n"
          fi
        done <"$block"
        rm -rf app && [[ ! -e app.before ]] || mv app.before app
        ;;
      "make CC=clang-19 "*)
        rm -f app app.o && scratch_makefiles
        run_block "$block" "$where"
        expect_instrumented ./app "$where (make with the flags)"
        ;;
      "memscope-merge "*)
        # The reports of the program the blocks above ran (prof/), and two runs to diff.
        [[ -d prof ]] || fail "$where: no prof/ from the blocks before"
        rm -rf base new
        MEMSCOPE_OUT=base ./app >/dev/null || fail "$where: running ./app into base/"
        MEMSCOPE_OUT=new ./app >/dev/null || fail "$where: running ./app into new/"
        rm -f profile.json report.html prof.pb.gz
        PATH=$work/bin:$PATH run_block "$block" "$where"
        expect_line "$block.log" "work +[^ ]*app.c:$worker_line" "$where: the workers' site in the summary"
        if grep -q 'profile.json' "$block"; then
          merge_to_json "$work/reread.json" prof/memscope.app.*.msgpack
          cmp -s <("$python" -m json.tool profile.json) <("$python" -m json.tool "$work/reread.json") ||
            fail "$where: profile.json differs from the merge's JSON"
        fi
        if grep -q 'report.html' "$block"; then
          grep -q '<html' report.html || fail "$where: report.html is not HTML"
        fi
        if grep -q 'prof.pb.gz' "$block"; then
          gzip -t prof.pb.gz || fail "$where: prof.pb.gz is not gzip"
        fi
        ;;
      "build/merge/memscope-merge out/")
        # After each example of the table's "try" column: that example's summary.
        local try n=0
        while IFS= read -r try; do
          n=$((n + 1))
          rm -rf out
          printf '%s\n' "$try" >"$block.try$n"
          run_block "$block.try$n" "$where, example $n"
          run_block "$block" "$where, after example $n"
          expect_line "$block.log" ' complete$' "$where, after '$try': a complete file"
          check_example_total "$block.try$n.log" "$try"
        done <"$dir.blocks/try.sh"
        ((n > 0)) || fail "$where: no example in the table's try column"
        ;;
      *) fail "$where: a command block this test does not know ('$first'): add its check to $0" ;;
    esac
    echo "ok: $where"
  done
  cd "$work"
}

scratch_makefiles() {
  printf 'CFLAGS = -O2 -g -pthread\nLDLIBS = -pthread\nall: app\n' >Makefile
}

# check_example_total RUN_LOG TRY: an example that says how many allocations it made
# ("N allocations") made that many at its own code's sites (docs/quickstart.md: the
# merge's total adds the C library's own, such as a calloc per thread created).
check_example_total() {
  local said own
  [[ $2 != *api_tour* ]] || return 0 # the doc's exception: it tells a snapshot's count
  said=$(grep -Eo '[0-9]+ allocations' "$1" | head -1 | cut -d' ' -f1 || true)
  [[ -n $said ]] || return 0
  "$merge" --format json -o "$work/example.json" out/ 2>/dev/null ||
    fail "'$2': merging out/ into JSON"
  own=$("$python" -c '
import json, sys
sites = json.load(open(sys.argv[1]))["sites"]
print(sum(s["calls"] for s in sites if s["kind"] in ("alloc", "realloc")
          and s["frames"] and s["frames"][0].get("origin") == "own"))' "$work/example.json")
  expect_eq "$own" "$said" "'$2' said $said allocations; its own sites' calls"
}

run_doc README.md
run_doc docs/quickstart.md
echo "docs_commands: every command block of README.md and docs/quickstart.md ran and checked"
