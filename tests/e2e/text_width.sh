#!/usr/bin/env bash
# The text report a person reads (issue 19 item 1): on 500 threads allocating through
# long C++ template names, at most 5% of its lines are wider than 100 columns, long names
# lose their middle in the text while the JSON keeps them whole, --top limits the thread
# tables, the summary comes first in heaptrack_print's order, and an unknown thread or
# site is an error naming it.
# Usage: text_width.sh PROGRAM MERGE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 work=$3
rm -rf "$work" && mkdir -p "$work"

run_and_merge "$work/run" MEMSCOPE_MODE=full MEMSCOPE_STACK_DEPTH=32 "$program"
expect_eq "$(cat "$work/run.stdout")" "done" "the program's output"
expect_fields . threads_count=501
json_check "$work/run.json"

# wide FILE: "WIDE TOTAL", lines wider than 100 columns (characters, not bytes) and all.
wide() { python3 -c 'import sys
l = open(sys.argv[1], encoding="utf-8").read().splitlines()
print(sum(len(x) > 100 for x in l), len(l))' "$1"; }
# at_most_5_percent FILE WHAT
at_most_5_percent() {
  local w n
  read -r w n < <(wide "$1")
  echo "$2: $w of $n lines wider than 100 columns"
  ((n > 0 && w * 20 <= n)) || fail "$2: $w of $n lines are wider than 100 columns (at most 5%)"
}

"$merge" "${profiles[@]}" >"$work/run.txt" || fail "text merge failed"
at_most_5_percent "$work/run.txt" "default --top"
"$merge" --top 0 "${profiles[@]}" >"$work/all.txt" || fail "text merge --top 0 failed"
at_most_5_percent "$work/all.txt" "--top 0"
"$merge" --top 0 --no-symbolize "${profiles[@]}" >"$work/raw.txt" || fail "--no-symbolize failed"
at_most_5_percent "$work/raw.txt" "--top 0 --no-symbolize"

# The long name: elided in the text ("<...>"), whole in the JSON.
expect_line "$work/run.txt" '  \.\.\.::insert_entry_with_a_long_name ' \
  "the template's member, its scopes and arguments elided"
grep -q 'registry_with_a_long_name<std::pair<long, unsigned long>' "$work/run.json" ||
  fail "the JSON lost the template's arguments"

# The summary first, in heaptrack_print's order, then the tables in full.
order=$(grep -nE '^(Summary|  leaks|  the peak|  most allocations|  temporary|  bottlenecks|Totals|Threads)' \
  "$work/run.txt" | cut -d: -f2 | cut -c1-12 | tr '\n' '|')
expect_eq "$order" "Summary (wha|  leaks (liv|  the peak's|  most alloc|  temporary |  bottleneck|Totals|Threads (all|" \
  "the order of the summary's parts"
# The headline: the totals of the JSON report (thread start-up allocates a varying amount).
read -r allocs bytes frees < <(python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print(t["allocations"], t["bytes_allocated"], t["frees"])' "$work/run.json")
((allocs >= 10000)) || fail "the JSON counts $allocs allocations (10,000 map nodes at least)"
expect_line "$work/run.txt" "^  $allocs allocations of $bytes bytes, $frees frees, 0 reallocs\$" \
  "the headline"
summary_lines=$(awk '/^Totals$/ {print NR; exit}' "$work/run.txt")
((summary_lines <= 42)) || fail "the summary takes $summary_lines lines (a first screen is ~40)"

# --top limits the thread tables: 3 rows each, then how many more.
"$merge" --top 3 "${profiles[@]}" >"$work/top3.txt" || fail "--top 3 failed"
rows=$(awk '/^Threads \(/ {on=1; getline; next} on && /^$/ {exit} on' "$work/top3.txt")
expect_eq "$(grep -c '^ ' <<<"$rows")" 4 "--top 3: thread rows and the 'more' line"
grep -q '^  (498 more threads; --top 0 shows all)$' <<<"$rows" || fail "--top 3: no '498 more threads': $rows"
rows=$(awk '/^Thread details/ {on=1; getline; next} on && /^$/ {exit} on' "$work/top3.txt")
expect_eq "$(grep -c '^ ' <<<"$rows")" 4 "--top 3: thread details rows and the 'more' line"
lines=$(wc -l <"$work/run.txt")
((lines < 300)) || fail "the default report of 501 threads has $lines lines"

# Filters: said in the report; an unknown thread or site is an error that names it.
"$merge" --thread 7 "${profiles[@]}" >"$work/t7.txt" || fail "--thread 7 failed"
expect_line "$work/t7.txt" '^  filter --thread 7: the thread tables' "the filter said"
status=0
"$merge" --thread 9999 "${profiles[@]}" >"$work/t9999.txt" 2>"$work/t9999.err" || status=$?
expect_eq "$status" 1 "an unknown thread's status"
expect_eq "$(wc -c <"$work/t9999.txt")" 0 "no report for an unknown thread"
expect_line "$work/t9999.err" '^memscope-merge: --thread 9999: no thread 9999 in the inputs' \
  "the unknown thread named"
status=0
"$merge" --site 0xdead "${profiles[@]}" >/dev/null 2>"$work/site.err" || status=$?
expect_eq "$status" 1 "an unknown site's status"
expect_line "$work/site.err" '^memscope-merge: --site 0xdead: no site 0xdead in the inputs' \
  "the unknown site named"
echo "e2e text_width: all checks passed"
