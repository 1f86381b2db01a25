#!/usr/bin/env bash
# The 30-thread example in the default, sampled mode: totals, per-thread and per-site
# counts are exact (from the runtime's counters) whatever is sampled; estimates from the
# weighted samples are checked against the truth with their own error bars.
# Usage: threads30_sampled.sh PROGRAM MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 source=$3 work=$4
rm -rf "$work" && mkdir -p "$work/out"

# A small interval: about 4,700 samples of the 19 MB, so the error bars are tight.
MEMSCOPE_SAMPLE_INTERVAL=4K MEMSCOPE_OUT="$work/out" "$program" >"$work/stdout" 2>"$work/stderr"
[[ -s "$work/stderr" ]] && fail "the profiled program wrote to stderr: $(cat "$work/stderr")"
"$merge" "$work"/out/memscope.threads30.*.msgpack >"$work/summary" 2>"$work/merge.stderr" ||
  fail "merge failed: $(cat "$work/merge.stderr")"
s="$work/summary"
expect_line "$s" 'mode sampled \(bytes sampler, mean interval 4096 bytes\), complete' "file line"

# Exact: in sampled mode "frees" counts the free sites' calls (reallocs release blocks too,
# but only their sampled releases are seen, so those go into the bytes-freed estimate).
section "$s" "Totals" >"$work/totals"
for kv in "allocations 63030" "failed allocations 0" "reallocs 3000" "frees 60000" \
          "bytes allocated 19140480"; do
  expect_line "$work/totals" "^  ${kv% *} +${kv##* }$" "total '$kv'"
done
section "$s" "Threads (allocations, frees, bytes)" | tail -n +2 >"$work/threads"
expect_eq "$(wc -l <"$work/threads")" 30 "thread rows"
expect_eq "$(grep -cE '^ +[0-9]+ +[0-9]+ +2101 +2000 +638016 ' "$work/threads")" 30 "exact thread rows"

loc() { echo "threads30\\.c:$(line_of "$source" "site:$1"):[0-9]+"; }
section "$s" "Top sites by bytes allocated" >"$work/by_bytes"
expect_line "$work/by_bytes" "^ +15298560 +30000 +malloc +worker +.*$(loc buffer)$" "buffer site"
expect_line "$work/by_bytes" "^ +2880000 +3000 +realloc +worker +.*$(loc grow)$" "grow site"
expect_line "$work/by_bytes" "^ +960000 +30000 +calloc +worker +.*$(loc table)$" "table site"
section "$s" "Allocation sizes by site" >"$work/sizes"
expect_line "$work/sizes" "^ +30000 +32 +510 +992 +worker +.*$(loc buffer)$" "buffer sizes"
expect_line "$work/sizes" "^ +3000 +64 +960 +1856 +worker +.*$(loc grow)$" "grow sizes"
expect_line "$work/sizes" "^ +30 +64 +64 +64 +worker +.*$(loc kept)$" "kept sizes"

# Estimated: bytes freed is 19140480 - 1920.  The report's error bar is a 95% interval;
# accept three of them (about 6 standard errors) so that this test does not flake.
row=$(grep -E '^  bytes freed ' "$work/totals") || fail "no bytes freed row"
est=$(sed -E 's/.* ([0-9]+)±([0-9]+)$/\1/' <<<"$row")
err=$(sed -E 's/.* ([0-9]+)±([0-9]+)$/\2/' <<<"$row")
[[ "$est" =~ ^[0-9]+$ && "$err" =~ ^[0-9]+$ ]] || fail "bytes freed is not N±E: $row"
diff=$((est > 19138560 ? est - 19138560 : 19138560 - est))
((err > 0 && diff <= 3 * err)) || fail "bytes freed $est±$err is far from 19138560"
((err < 19138560 / 10)) || fail "error bar $err too wide for ~4,700 samples"
samples=$(awk '/^  samples /{print $2}' "$work/totals")
((samples > 3500 && samples < 6000)) || fail "samples: $samples, expected about 4,700"
echo "e2e threads30_sampled: all checks passed (bytes freed $est±$err, $samples samples)"
