#!/usr/bin/env bash
# Small thread stacks and many sites (issue #13, item 5).  glibc carves every thread's
# static TLS out of its stack.  Before ABI 3 inline sites counted in static TLS (32
# bytes per malloc site, 8 per free site, per module: 400 KB for the 20,000 sites
# here, which made pthread_create of a 16 KiB stack fail with EINVAL); since ABI 3 they
# count in the runtime's table and a module's static TLS is its 24-byte header
# (docs/pass.md, "The block"), with every site inline.  A program with 20,000 sites
# starts 8 threads with 16 KiB stacks.  Asserted: each module's TLS is the header alone
# (its .tdata, no .tbss), every pthread_create
# succeeds (the program checks and says so, exit status 0), the output is the plain
# build's, and the merge's exact counts are 8 x 10,000 mallocs and frees (main allocates
# nothing instrumented), each site called 8 times: in full mode with the static runtime,
# in the default sampled mode with the shared one.
# The second variant puts the same sites in 20 source files: 20 headers (its
# pthread_create still enlarges the stack by the static TLS of memscope's modules).
source "$(dirname "$0")/lib.sh"
start=$SECONDS

functions=10000 threads=8 files=20

# gen.py DIR FILES: stack_main.c (the threads, a table of the functions) and
# stack_0.c ... (FILES files of f0 ... f9999: one malloc and one free each, on lines of
# their own).  With FILES = 1 the functions go into stack_main.c itself: one module.
cat >gen.py <<'EOF'
import sys
out, files = sys.argv[1], int(sys.argv[2])
nf, nt = int(sys.argv[3]), int(sys.argv[4])
head = "#include <stdlib.h>\nvoid *volatile stack_sink; /* the block escapes: kept at -O2 */\n"
def body(i):
    return ("void f%d(void) {\n  char *p = malloc(%d);\n  stack_sink = p;\n  free(p);\n}\n"
            % (i, 1 + i % 61))
main = ["#include <pthread.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"]
if files == 1:
    main.append(head)
    main.extend(body(i) for i in range(nf))
else:
    per = nf // files
    for k in range(files):
        with open("%s/stack_%d.c" % (out, k), "w") as f:
            f.write(head.replace("void *volatile", "extern void *volatile") if k else head)
            f.writelines(body(i) for i in range(k * per, (k + 1) * per))
    main.extend("void f%d(void);\n" % i for i in range(nf))
main.append("static void (*const fns[%d])(void) = {\n" % nf)
main.extend("  f%d,\n" % i for i in range(nf))
main.append("""};
static void *worker(void *arg) {
  for (int i = 0; i < %(nf)d; i++)
    fns[i]();
  return arg;
}
int main(void) {
  pthread_attr_t a;
  pthread_t t[%(nt)d];
  pthread_attr_init(&a);
  int e = pthread_attr_setstacksize(&a, 16384);
  if (e) {
    printf("pthread_attr_setstacksize: %%s\\n", strerror(e));
    return 1;
  }
  for (int i = 0; i < %(nt)d; i++)
    if ((e = pthread_create(&t[i], &a, worker, NULL))) {
      printf("pthread_create %%d: %%s\\n", i, strerror(e));
      return 1;
    }
  for (int i = 0; i < %(nt)d; i++)
    pthread_join(t[i], NULL);
  printf("%(nt)d threads with 16 KiB stacks called %(nf)d functions each\\n");
  return 0;
}
""" % {"nf": nf, "nt": nt})
with open("%s/stack_main.c" % out, "w") as f:
    f.writelines(main)
EOF

# check_counts JSON WHAT: the exact counts of the report (one parse: it is 50 MB).
check_counts() {
  local counts
  counts=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
called = sum(1 for s in d["sites"] if s["api"] in ("malloc", "free") and s["calls"] == n)
print(d["totals"]["allocations"], d["totals"]["frees"], called)
' "$1" "$threads") || fail "$2: reading $1"
  # Every site, inline or not, was called once by each thread.
  expect_eq "$counts" "$((threads * functions)) $((threads * functions)) $((2 * functions))" \
    "$2: allocations, frees, sites called $threads times"
}

# variant NAME FILES: builds (plain, instrumented with each runtime) and runs one variant.
variant() {
  local name=$1 nfiles=$2
  mkdir -p "$name" && python3 gen.py "$name" "$nfiles" "$functions" "$threads"
  local sources=("$name/stack_main.c") k
  if ((nfiles > 1)); then
    for ((k = 0; k < nfiles; k++)); do sources+=("$name/stack_$k.c"); done
  fi
  # -O1 without -g: about 10 s of CPU for 20,000 sites.
  local objs=() src
  local tls
  for src in "${sources[@]}"; do
    "$MS_CLANG" -O1 -fpass-plugin="$MS_PASS" -c "$src" -o "${src%.c}.o" || fail "compiling $src"
    objs+=("${src%.c}.o")
    # The pass's part: each module's TLS the 24-byte header (.tdata: its counters
    # pointer starts at the runtime's scratch), nothing in .tbss.  (stack_main.c has no
    # sites when the functions are elsewhere.)
    [[ $src == */stack_main.c && $nfiles -gt 1 ]] && continue
    tls=$(size -A "${src%.c}.o" | awk '$1 == ".tdata" {print $2}')
    tbss=$(size -A "${src%.c}.o" | awk '$1 == ".tbss" {print $2}')
    ((${tls:-0} == 24 && ${tbss:-0} == 0)) ||
      fail "$src: an inline header of ${tls:-0} bytes (.tbss ${tbss:-0}), expected 24 (and 0)"
  done
  build_static "$name/static" "${objs[@]}"
  build_shared "$name/shared" "${objs[@]}"
  # The program without memscope, once (-O0: it only gives the expected output).
  if [[ ! -f plain.out ]]; then
    build_plain plain "${sources[@]}" -O0 -g0
    ./plain >plain.out || fail "the plain build exited with $?"
  fi

  # Each mode once, each runtime once (a merge of 20,000 sites takes seconds).
  local run runtime mode
  for run in static:full shared:sampled; do
    runtime=${run%:*} mode=${run#*:}
    local out="$name/out.$runtime.$mode" status=0
    mkdir -p "$out"
    MEMSCOPE_MODE=$mode MEMSCOPE_OUT="$out" "$name/$runtime" >"$out.stdout" 2>"$out.stderr" ||
      status=$?
    ((status == 0)) || fail "$name ($runtime runtime, $mode): exit status $status:" \
      "$(cat "$out.stdout" "$out.stderr")"
    expect_eq "$(cat "$out.stdout")" "$(cat plain.out)" "$name ($runtime, $mode): stdout"
    merge_json "$out.json" "$out"/memscope.*.msgpack
    check_counts "$out.json" "$name ($runtime, $mode)"
  done
}

variant one_file 1
echo "hostile small_stacks: one file passed ($((SECONDS - start)) s)"
variant "${files}_files" "$files"
echo "hostile small_stacks: all checks passed ($((SECONDS - start)) s)"
