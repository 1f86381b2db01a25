#!/usr/bin/env bash
# Descriptors belong to the program (issue #13, item 3): a program that closes 3..1023
# and opens its own file, or dup2()s its file over 3..1023, keeps exactly its own 13
# bytes (memscope never writes into a descriptor the program owns, reopens its own file
# instead, and loses no record); under a tiny soft RLIMIT_NOFILE the program opens as
# many files as without memscope (ours sits just above the limit); nothing of memscope's survives an exec.  Full and sampled
# mode, both runtimes; exact counts in every profile.
source "$(dirname "$0")/lib.sh"
build_static desc_static "$MS_PROGRAMS/descriptors.c"
build_shared desc_shared "$MS_PROGRAMS/descriptors.c"
build_plain desc_plain "$MS_PROGRAMS/descriptors.c"

for prog in desc_static desc_shared; do
  for mode in full sampled; do
    for how in closeall dup2; do
      tag="$prog/$mode/$how"
      rm -rf out own.txt && mkdir out
      status=0
      MEMSCOPE_MODE=$mode MEMSCOPE_OUT=out ./$prog $how own.txt >stdout 2>stderr || status=$?
      expect_eq "$status" 0 "$tag: exit status ($(cat stderr))"
      expect_eq "$(cat stdout)" "descriptors: $how kept its 13 bytes" "$tag: stdout"
      expect_eq "$(cat own.txt)" "program data" "$tag: the program's file"
      expect_eq "$(stat -c %s own.txt)" 13 "$tag: the program's file size"
      merge_json run.json "$(the_file out)"
      expect_eq "$(inst_counts run.json)" "80000 80000" "$tag: exact counts, nothing lost"
    done
    # A soft RLIMIT_NOFILE of 16: as many opens as the plain program gets.
    want=$(ulimit -Sn 16; ./desc_plain rlimit)
    rm -rf out && mkdir out
    got=$(ulimit -Sn 16; MEMSCOPE_MODE=$mode MEMSCOPE_OUT=out ./$prog rlimit)
    expect_eq "$got" "$want" "$prog/$mode: opens under RLIMIT_NOFILE 16"
    merge_json run.json "$(the_file out)"
    expect_eq "$(inst_counts run.json)" "40000 40000" "$prog/$mode rlimit: exact counts"
    # exec: the new program sees the plain program's descriptors, not ours.
    want=$(./desc_plain exec)
    rm -rf out && mkdir out
    got=$(MEMSCOPE_MODE=$mode MEMSCOPE_OUT=out ./$prog exec)
    expect_eq "$got" "$want" "$prog/$mode: descriptors seen after exec"
  done
done
echo "hostile descriptors: all checks passed"
