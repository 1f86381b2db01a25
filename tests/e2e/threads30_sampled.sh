#!/usr/bin/env bash
# The 30-thread example in the default, sampled mode: totals, per-thread and per-site
# counts are exact (from the runtime's counters) whatever is sampled; estimates from the
# weighted samples are checked against the truth with their own error bars.
# Usage: threads30_sampled.sh PROGRAM MERGE SOURCE WORKDIR
source "$(dirname "$0")/lib.sh"
program=$1 merge=$2 source=$3 work=$4
rm -rf "$work" && mkdir -p "$work"

# A small interval: about 4,700 samples of the 19 MB, so the error bars are tight.
run_and_merge "$work/run" MEMSCOPE_SAMPLE_INTERVAL=4K "$program"
expect_fields processes.0 mode=sampled sampler=bytes sample_interval=4096
expect_complete

# Exact: in sampled mode "frees" counts the free sites' calls (reallocs release blocks too,
# but only their sampled releases are seen, so those go into the bytes-freed estimate).
expect_fields totals allocations=63030 failed_allocations=0 reallocs=3000 frees=60000 \
  bytes_allocated=19140480
expect_json 'count(processes.0.threads)' 30 "threads"
expect_json 'count(processes.0.threads[?counts.allocations=2101,counts.frees=2000,counts.bytes_allocated=638016])' \
  30 "threads with the exact counts of a worker"

at() { echo "at=threads30.c:$(line_of "$source" "site:$1")"; }
expect_site "$(at buffer)" 30000 15298560 malloc worker "buffer site"
expect_site "$(at grow)" 3000 2880000 realloc worker "grow site"
expect_site "$(at table)" 30000 960000 calloc worker "table site"
# The sizes asked for at each site: exact.
expect_fields "sites[$(at buffer),api=malloc]" sizes.calls=30000 sizes.min=32 sizes.avg=510 sizes.max=992
expect_fields "sites[$(at grow),api=realloc]" sizes.calls=3000 sizes.min=64 sizes.avg=960 sizes.max=1856
expect_fields "sites[$(at kept),api=malloc]" sizes.calls=30 sizes.min=64 sizes.avg=64 sizes.max=64 \
  frames.0.function=worker
# Estimated: bytes freed is 19140480 - 1920, an estimate.
expect_json totals.estimated true "totals estimated"
json_check "$work/run.json"

# The report's error bar is a 95% interval; accept three of them (about 6 standard
# errors) so that this test does not flake.
values=$(json_get "$work/run.json" totals.bytes_freed.value totals.bytes_freed.error totals.samples)
{ read -r est; read -r err; read -r samples; } <<<"$values"
diff=$((est > 19138560 ? est - 19138560 : 19138560 - est))
((err > 0 && diff <= 3 * err)) || fail "bytes freed $est±$err is far from 19138560"
((err < 19138560 / 10)) || fail "error bar $err too wide for ~4,700 samples"
((samples > 3500 && samples < 6000)) || fail "samples: $samples, expected about 4,700"
echo "e2e threads30_sampled: all checks passed (bytes freed $est±$err, $samples samples)"
