#!/usr/bin/env bash
# A program whose name is too long for a file name of memscope's (NAME_MAX is 255 bytes,
# and the pid, the unique part and the suffix take up to 48 of them): the file is
# created all the same, with the name cut to its first 128 bytes between UTF-8
# characters, and holds the exact counts.  The cut name is the header's `program` too.
source "$(dirname "$0")/lib.sh"
build_static ln_static "$MS_PROGRAMS/idle_threads.c"

ascii=$(printf 'n%.0s' $(seq 1 250))
utf8="a$(printf 'ü%.0s' $(seq 1 100))" # 201 bytes: byte 128 is inside a ü
declare -A want=([ascii]="${ascii:0:128}" [utf8]="a$(printf 'ü%.0s' $(seq 1 63))") # 127 bytes
for kind in ascii utf8; do
  name=${!kind}
  cp ln_static "$name"
  rm -rf out && mkdir out
  status=0
  MEMSCOPE_OUT=out "./$name" 2 >stdout 2>stderr || status=$?
  expect_eq "$status" 0 "$kind: exit status"
  expect_eq "$(cat stderr)" "" "$kind: nothing on stderr"
  expect_eq "$(cat stdout)" "idle_threads: 2 threads joined" "$kind: output"
  file=$(the_file out)
  base=$(basename "$file")
  prefix="memscope.${want[$kind]}."
  [[ "${base:0:${#prefix}}" == "$prefix" ]] || fail "$kind: file name $base does not start with $prefix"
  merge_json run.json "$file"
  expect_eq "$(inst_counts run.json)" "10 10" "$kind: exact counts"
  expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["processes"][0]["program"])' run.json)" \
    "${want[$kind]}" "$kind: the header's program"
  rm -f "$name"
done
echo "long_name: ok"
