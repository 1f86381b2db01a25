#!/usr/bin/env bash
# A full disk (issue #17, item 1): the output on a 1 MiB tmpfs, full mode, 1,200,000
# pairs (far more than it holds).  The program runs to its end with its own status and
# output (no SIGBUS, no SIGXFSZ); memscope says once that recording stopped; the status
# block says so and counts the events left out; the counts (tables, reserved early)
# are exact, and stored + lost events are every event; the merge reports the events
# as short by the lost ones, not as disagreeing with the counts.  The same under a file size limit
# (RLIMIT_FSIZE, 1 MiB), where a write past the limit would raise SIGXFSZ: that case needs
# no privilege and always runs; the tmpfs one needs a mount (root) and is skipped
# without.
source "$(dirname "$0")/lib.sh"
build_static full_static "$MS_PROGRAMS/disk_full.c"
build_shared full_shared "$MS_PROGRAMS/disk_full.c"
# check PROG DIR [LIMIT]: one run with its output in DIR (under ulimit -f LIMIT KiB).
check() {
  local prog=$1 dir=$2 limit=${3:-unlimited}
  rm -rf "${dir:?}"/*
  status=0
  (ulimit -f "$limit"; MEMSCOPE_MODE=full MEMSCOPE_OUT=$dir exec ./$prog) >stdout 2>stderr || status=$?
  expect_eq "$status" 7 "$prog: the program's own exit status"
  expect_eq "$(cat stdout)" "disk_full: 4 x 300000 pairs done" "$prog: output"
  expect_eq "$(grep -c 'recording stopped' stderr)" 1 "$prog: one line on stderr"
  f=$(the_file "$dir")
  expect_eq "$(( $(v2 "$f" status_flags) & 1 ))" 1 "$prog: MS_STATUS_DISK_FULL"
  expect_eq "$(v2 "$f" allocations)" 1200000 "$prog: allocations counted"
  expect_eq "$(v2 "$f" frees)" 1200000 "$prog: frees counted"
  stored=$(( $(v2 "$f" alloc_events) + $(v2 "$f" free_events) ))
  expect_eq "$(( stored + $(v2 "$f" lost_events) ))" 2400000 "$prog: stored + lost events"
  merge_json run.json "$f"
  python3 -c 'import json,sys; p=json.load(open("run.json"))["processes"][0]; sys.exit(not p["disk_full"])' ||
    fail "$prog: the report does not say recording stopped"
  # Each lost event's call stayed counted: the events are short by exactly lost_events
  # calls, which the merge reports as such, not as a disagreement.
  lost=$(v2 "$f" lost_events)
  jq_py() { python3 -c "import json; p=json.load(open('run.json'))['processes'][0]; print($1)"; }
  expect_eq "$(jq_py 'p["disagreeing_sites"]')" 0 "$prog: no disagreement"
  expect_eq "$(jq_py 'p["disk_full"]["lost_events"]')" "$lost" "$prog: JSON lost_events"
  expect_eq "$(jq_py 'p["disk_full"]["short_calls"]')" "$lost" "$prog: short calls = lost events"
  expect_eq "$(jq_py 'p["disk_full"]["short_sites"] >= 1')" True "$prog: short sites"
  "$MS_MERGE" -o run.txt "$f" 2>run.txt.err || fail "merge: $(cat run.txt.err)"
  expect_eq "$(grep -c 'disagree' run.txt)" 0 "$prog: the text report says no disagreement"
  short_line="warning: $lost counted calls at [0-9]* sites\? have no event (lost for want of room"
  expect_eq "$(grep -c "$short_line" run.txt)" 1 \
    "$prog: the text report names the short calls"
}
mkdir -p limited
for prog in full_static full_shared; do check $prog limited 1024; done
mkdir -p tiny
if ! mount -t tmpfs -o size=1m tmpfs tiny 2>mount.err; then
  echo "hostile disk_full: RLIMIT_FSIZE checks passed; tmpfs skipped: cannot mount one ($(cat mount.err))"
  exit 0
fi
trap 'umount "$MS_WORK/tiny"' EXIT
for prog in full_static full_shared; do check $prog tiny; done
echo "hostile disk_full: all checks passed"
