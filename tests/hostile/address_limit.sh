#!/usr/bin/env bash
# Address space is the program's (RLIMIT_AS, `ulimit -v`): a program that limits itself
# in main, after memscope started, to its plain peak plus a margin runs as without
# memscope, in every mode, with exact counts.  memscope's reservations fit in the margin
# (docs/limits.md "Address space": ~64 MiB at start, 8 MiB a thread, full mode's shadow
# 8 MiB more, leaks mode's stacks 144 MiB); the libunwind trace-cache pool alone took
# 512 MiB before, and the program's threads then failed to start.
source "$(dirname "$0")/lib.sh"
build_static al_static "$MS_PROGRAMS/address_limit.c"
build_shared al_shared "$MS_PROGRAMS/address_limit.c"
build_plain al_plain "$MS_PROGRAMS/address_limit.c"

# One malloc arena for all threads, in every run: each arena of glibc's own takes 64 MiB
# of address space, made in a mapping twice that size, and how many are made at once
# moves with the threads' timing.
export GLIBC_TUNABLES=glibc.malloc.arena_max=1
# The plain program's peak, the highest of 3 runs.
plain_peak=0
for i in 1 2 3; do
  p=$(./al_plain peak) || fail "plain peak run"
  (( p > plain_peak )) && plain_peak=$p
done
want=$(./al_plain limited $((plain_peak + 65536))) || fail "plain limited run: $want"
expect_eq "$want" "address_limit: 8 threads made 1,000 pairs each" "plain under a limit"

declare -A margin_mib=([sampled]=192 [full]=256 [leaks]=384)
for prog in al_static al_shared; do
  for mode in sampled full leaks; do
    tag="$prog/$mode"
    limit=$((plain_peak + ${margin_mib[$mode]} * 1024))
    rm -rf out && mkdir out
    status=0
    got=$(MEMSCOPE_MODE=$mode MEMSCOPE_OUT=out ./$prog limited $limit 2>stderr) || status=$?
    expect_eq "$status" 0 "$tag: exit status under a limit of $limit KiB ($got $(cat stderr))"
    expect_eq "$got" "$want" "$tag: output"
    merge_json run.json "$(the_file out)"
    expect_eq "$(inst_counts run.json)" "8000 8000" "$tag: exact counts"
  done
done
echo "address_limit: ok"
