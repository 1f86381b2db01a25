#!/usr/bin/env bash
# The output file (issue #13, item 4).
#  - A setuid-root program run by another user (AT_SECURE) ignores every MEMSCOPE_*
#    variable and writes no file anywhere: not where MEMSCOPE_OUT points, not in the
#    current directory; its output and status are unchanged.
#  - Files are created 0600, never through a symlink, never over an existing file.
#  - Two processes with the same pid (two pid namespaces, both pid 1) writing to one
#    directory write two files.
#  - A relative MEMSCOPE_OUT is the directory current at start, though the program
#    chdir()s away (as daemon() does); a missing directory is created (0700).
#  - A directory that cannot be made gives one warning naming the path and the reason;
#    the program runs on unchanged.
source "$(dirname "$0")/lib.sh"
build_static secure_static "$MS_PROGRAMS/secure_out.c"
expected="secure_out: done"

# --- setuid ---------------------------------------------------------------------------
# In a directory every user can reach (the build tree may not be).
sdir=$(mktemp -d /tmp/memscope-secure.XXXXXX)
trap 'rm -rf "$sdir"' EXIT
chmod 755 "$sdir"
cp secure_static "$sdir/prog"
chown root:root "$sdir/prog"
chmod 4755 "$sdir/prog"
mkdir -m 777 "$sdir/attacker" "$sdir/cwd"
# The kernel must grant the privilege, or the test proves nothing: a nosuid mount
# ignores the bit.
if findmnt -no OPTIONS -T "$sdir" | grep -qw nosuid; then
  fail "setuid: $sdir is on a nosuid mount; the test needs a directory where setuid works"
fi
out=$(cd "$sdir/cwd" && MEMSCOPE_OUT="$sdir/attacker" MEMSCOPE_MODE=full MEMSCOPE_SIGNALS=1 \
      setpriv --reuid=65534 --regid=65534 --clear-groups "$sdir/prog" 2>"$sdir/stderr")
expect_eq "$out" "$expected" "setuid: the program's output"
expect_eq "$(cat "$sdir/stderr")" "" "setuid: nothing on stderr"
expect_eq "$(ls -A "$sdir/attacker" "$sdir/cwd" | grep -c msgpack || true)" 0 \
  "setuid: no file where the caller asked, nor in the current directory"
# The same binary run by its owner (not secure) does profile.
(cd "$sdir/cwd" && MEMSCOPE_OUT="$sdir/attacker" "$sdir/prog" >/dev/null)
expect_eq "$(ls "$sdir/attacker" | grep -c msgpack)" 1 "not secure: profiled"

# --- mode, no symlink, no truncation ------------------------------------------------------
mkdir out
MEMSCOPE_OUT=out ./secure_static >/dev/null
f=$(the_file out)
expect_eq "$(stat -c %a "$f")" 600 "file mode"
[[ $(basename "$f") =~ ^memscope\.secure_static\.[0-9]+\.[0-9a-f]{8}\.msgpack$ ]] ||
  fail "file name pattern: $(basename "$f")"
merge_json run.json "$f"
expect_eq "$(inst_counts run.json)" "15 15" "exact counts"
# Symlinks planted at the names a pid-only pattern would use are left alone (the name
# has a random part; and creation never follows a symlink or reuses a name).
mkdir planted && echo "precious" >planted/target
for i in $(seq 0 64); do ln -s ../planted/target "planted/memscope.secure_static.$i.msgpack"; done
MEMSCOPE_OUT=planted ./secure_static >/dev/null
expect_eq "$(cat planted/target)" "precious" "a planted symlink's target is untouched"
expect_eq "$(find planted -type f -name 'memscope.*' | wc -l)" 1 "one new regular file"

# --- two pid namespaces, one directory ------------------------------------------------------
if unshare -pf --mount-proc true 2>/dev/null; then
  mkdir shared
  for i in 1 2; do
    unshare -pf --mount-proc env MEMSCOPE_OUT="$PWD/shared" "$PWD/secure_static" >/dev/null
  done
  expect_eq "$(ls shared | grep -c '^memscope\.secure_static\.1\.')" 2 "two pid-1 runs: two files"
else
  echo "note: no pid namespaces here, the pid-1 collision case is not run"
fi

# --- relative directory, chdir, missing directories ----------------------------------------------
mkdir work && cd work
MEMSCOPE_OUT=rel/a/b ../secure_static / >/dev/null
cd ..
expect_eq "$(find work/rel -name 'memscope.*' | wc -l)" 1 "relative MEMSCOPE_OUT: resolved at start"
expect_eq "$(stat -c %a work/rel/a/b)" 700 "created directories: mode 0700"
merge_json rel.json work/rel/a/b/memscope.*.msgpack
expect_eq "$(inst_counts rel.json)" "15 15" "relative: every call after the chdir too"

# --- a directory that cannot be made ------------------------------------------------------------
out=$(MEMSCOPE_OUT=/dev/null/profiles ./secure_static 2>stderr)
expect_eq "$out" "$expected" "unwritable: the program's output"
expect_eq "$(wc -l <stderr)" 1 "unwritable: one warning"
expect_line stderr '^memscope: .*/dev/null/profiles: Not a directory$' "unwritable: path and reason"
echo "hostile secure_output: all checks passed"
