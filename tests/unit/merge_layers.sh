# The merge's layering is enforced (cmake/merge_layers.cmake): the tree as it is passes;
# a model file that includes a report header, or reaches one by a path, fails, and the
# message names the file and the layers.  Also: the model layer's include directories
# alone do not find a report header (what the compiler would say).
set -euo pipefail
src=$1 cc=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
check() { cmake -DMERGE_DIR="$1" -P "$src/cmake/merge_layers.cmake" >"$work/out" 2>&1; }

check "$src/merge" || { cat "$work/out"; fail "the tree itself breaks its layers"; }

cp -r "$src/merge" "$work/up"
sed -i '1i #include "report.h"' "$work/up/model/profile.c"
! check "$work/up" || fail "a model file including report.h was accepted"
grep -q 'merge/model/profile.c: #include "report.h": model/ may not use report/' "$work/out" ||
  { cat "$work/out"; fail "the message does not name the file and the layers"; }

cp -r "$src/merge" "$work/path"
sed -i '1i #include "../report/report.h"' "$work/path/model/replay.c"
! check "$work/path" || fail "an include by path was accepted"
grep -q 'merge/model/replay.c: #include "../report/report.h": include a header by its name' "$work/out" ||
  { cat "$work/out"; fail "the message for an include by path"; }

cp -r "$src/merge" "$work/angle"
sed -i '1i #include <report.h>' "$work/angle/model/counters.c"
! check "$work/angle" || fail "a model file including <report.h> was accepted"
grep -q 'merge/model/counters.c: #include "report.h": model/ may not use report/' "$work/out" ||
  { cat "$work/out"; fail "the message for <report.h>"; }

# The compiler, with only what the model layer sees, cannot find the report's header.
printf '#include "profile.h"\n#include "report.h"\n' >"$work/probe.c"
! "$cc" -fsyntax-only -I"$src/merge/model" -I"$src/merge/read" -I"$src/merge/base" \
  -I"$src/include" "$work/probe.c" 2>"$work/cc.out" || fail "report.h was found from the model"
grep -q "report.h" "$work/cc.out" || { cat "$work/cc.out"; fail "unexpected compiler error"; }
echo "ok: layers enforced"
