#!/usr/bin/env bash
# Golden tests of memscope-merge: each case runs the merge on checked-in fixtures and
# diffs its stdout, stderr and exit status against checked-in expected output.  The
# fixtures were recorded once from programs/golden.c (README.md), so every number in
# them is fixed and the output is byte-for-byte deterministic.
# Usage: run.sh MERGE GOLDEN_DIR WORK_DIR [--update]
set -euo pipefail
merge=$1 golden=$2 work=$3 update=${4:-}
rm -rf "$work" && mkdir -p "$work"
cp "$golden"/*.mspk "$work"/
cd "$work"
# A copy cut in the middle of events: inside the second EVENTS chunk (the consumer
# thread's, at 24576; 85 of its 170 content bytes, 14 of its 20 cross-thread frees), after
# the RECORDS chunk (so the counters, THREAD and END records are whole) and the producer's
# whole chunk.  The file is reported truncated at that chunk, and its counters and events
# disagree.
head -c 24693 golden_full.mspk >golden_cut.mspk

# name|arguments: expected output in expected/NAME.{out,err,status}
cases=(
  "full_text|golden_full.mspk"
  "full_json|--json golden_full.mspk"
  "sampled_text|golden_sampled.mspk"
  "sampled_json|--format json golden_sampled.mspk"
  "both_top3|--top 3 golden_full.mspk golden_sampled.mspk"
  "filtered|--thread 3 --site 0x7f6c1b86d2799a1 golden_full.mspk"
  "cut|golden_cut.mspk"
  "folded|--format folded golden_full.mspk"
  "folded_live|-o out.folded --folded-value live-bytes golden_full.mspk"
  "folded_calls_sampled|--format folded --folded-value calls golden_sampled.mspk"
  "diff_modes|--diff golden_sampled.mspk golden_full.mspk"
  "diff_grew|--diff --fail-if-grows 10 diff_base.mspk diff_new.mspk"
  "diff_within|--diff --fail-if-grows 120 --top 3 diff_base.mspk diff_new.mspk"
  "diff_usage|--fail-if-grows 10 diff_base.mspk"
  "resources_text|--top 5 resources.mspk"
  "resources_json|--json --thread 1 resources.mspk"
)
failed=0
for c in "${cases[@]}"; do
  name=${c%%|*} args=${c#*|}
  status=0
  # shellcheck disable=SC2086
  "$merge" $args >"$name.out" 2>"$name.err" || status=$?
  echo "$status" >"$name.status"
  # A report written with -o is what the case compares.
  [[ -f out.folded ]] && mv out.folded "$name.out"
  if [[ "$name" == *json* ]]; then
    python3 -m json.tool "$name.out" >/dev/null || { echo "FAIL: $name: not valid JSON"; failed=1; }
  fi
  for ext in out err status; do
    if [[ "$update" == --update ]]; then
      cp "$name.$ext" "$golden/expected/$name.$ext"
    elif ! diff -u "$golden/expected/$name.$ext" "$name.$ext"; then
      echo "FAIL: golden case $name ($ext differs; run.sh ... --update to accept)"
      failed=1
    fi
  done
done
((failed == 0)) && echo "golden: all ${#cases[@]} cases match"
exit "$failed"
