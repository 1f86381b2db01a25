# A foreign file is refused at once (issue #13, item 9): memscope-merge looks at the
# header before anything reads the whole file, so a 1 GB file that is not a profile costs
# milliseconds; a FIFO or a device is refused without being read; garbage after a valid
# profile's chunks is named and not read.  Each time, the good profile given
# alongside is still reported.
source "$(dirname "$0")/lib.sh"

GOOD="$MS_SOURCE_DIR/tests/golden/golden_sampled.mspk"
GOOD_LINE='golden_sampled.mspk: golden pid [0-9]+, mode sampled .*, complete$'

# run NAME FILE...: the merge on FILE... and the good profile; stdout in NAME.out, stderr
# in NAME.err, the exit status in $status and the wall time in $ms (milliseconds).  A hang
# fails the test instead of blocking it.
run() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  status=0
  timeout 10 "$MS_MERGE" --no-symbolize "$@" "$GOOD" >"$name.out" 2>"$name.err" || status=$?
  t1=$(date +%s%N)
  ms=$(( (t1 - t0) / 1000000 ))
  [[ $status != 124 ]] || fail "$name: the merge hung (killed after 10 s)"
  expect_eq "$status" 1 "$name: exit status (some input was bad)"
  expect_line "$name.out" "$GOOD_LINE" "$name: the good profile is still reported"
}
# fast NAME LIMIT_MS: the call took less than LIMIT_MS (a behaviour bound, not a benchmark:
# the whole file would take tens of seconds).  Wall time, so the limits leave room for a
# loaded CI machine (each call takes 25-55 ms idle).
fast() {
  (( ms < $2 )) || fail "$1: took $ms ms, expected under $2 ms"
  echo "$1: $ms ms"
}

# The header region of the real profile (format 2: the header array, zeros, the status
# block): its status block's cursor says chunks followed, so it is read and said to be cut.
hdr=16384
head -c "$hdr" "$GOOD" >hdr.mspk
status=0
"$MS_MERGE" --no-symbolize hdr.mspk >hdr.out 2>&1 || status=$?
[[ $status == 1 ]] || fail "the header region alone: status $status, expected 1: $(cat hdr.out)"
expect_line hdr.out "^memscope-merge: hdr\.mspk: offset $hdr: truncated: the file ends at byte $hdr, before the end of its chunks" \
  "the header region alone: the cut named"
# With the cursor at the header region's end (struct ms_file_status's chunk_end, at
# 16320 + 40), a file with no chunk yet: read whole.
printf '\x00\x40\x00\x00\x00\x00\x00\x00' | dd of=hdr.mspk bs=1 seek=16360 conv=notrunc status=none
"$MS_MERGE" --no-symbolize hdr.mspk >hdr.out 2>&1 || fail "the first $hdr bytes are not a whole header: $(cat hdr.out)"

# 1. 1 GB of zeros (sparse): not a memscope file, decided on the first byte.
truncate -s 1G zeros.bin
run zeros zeros.bin
expect_line zeros.err '^memscope-merge: zeros\.bin: offset 0: not a memscope file \(the first object is not the header' \
  "zeros: the error line"
expect_line zeros.out '^  zeros\.bin: no usable data$' "zeros: the file line"
fast zeros 4000

# The same through --json: the input's status.
t0=$(date +%s%N)
"$MS_MERGE" --no-symbolize --json zeros.bin "$GOOD" >zeros.json 2>/dev/null && fail "zeros --json: status 0"
(( ($(date +%s%N) - t0) / 1000000 < 4000 )) || fail "zeros --json: too slow"
python3 - zeros.json <<'EOF' || fail "zeros --json: the inputs"
import json, sys
d = json.load(open(sys.argv[1]))
ins = {i["path"].rsplit("/", 1)[-1]: i for i in d["inputs"]}
assert ins["zeros.bin"]["status"] == "not_memscope" and not ins["zeros.bin"]["usable"], ins
assert ins["zeros.bin"]["problem"]["offset"] == 0, ins
assert ins["golden_sampled.mspk"]["status"] == "ok", ins
EOF

# 2. 1 GB of 0xc1 (never valid msgpack) at the start: not msgpack.
{ printf '\xc1\xc1\xc1\xc1'; } >c1.bin
truncate -s 1G c1.bin
run c1 c1.bin
expect_line c1.err '^memscope-merge: c1\.bin: offset 0: not msgpack data \(invalid byte 0xc1\)$' "c1: the error line"
fast c1 4000

# 3. ~200 MB of random bytes: refused within the first MiB whatever they are (not a
# memscope file, not msgpack, or a first object too large to be a header).
head -c 200M /dev/urandom >random.bin
run random random.bin
expect_line random.err '^memscope-merge: random\.bin: (offset [0-9]+: )?(not a memscope file|not msgpack data|cannot decode header)' \
  "random: the error line"
fast random 4000

# 4. A valid header region and 1 GB of zeros after it (a writer's reserved pages, as a
# process killed at its start leaves them): the process is kept, with no error, and the
# reading stops at the status block's chunk_end instead of walking 1 GB of pages.
head -c "$hdr" "$GOOD" >hdrzeros.bin
truncate -s 1G hdrzeros.bin
t0=$(date +%s%N)
status=0
timeout 10 "$MS_MERGE" --no-symbolize hdrzeros.bin "$GOOD" >hdrzeros.out 2>hdrzeros.err || status=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "$status" 0 "hdrzeros: exit status (nothing wrong with it)"
expect_line hdrzeros.out "^  hdrzeros\.bin: golden pid [0-9]+, mode sampled .*, incomplete \(no end record\), no counts recorded \(its numbers are only what its samples show\)$" \
  "hdrzeros: the file line (a header only: no chunks)"
fast hdrzeros 4000

# 5. The whole real profile, then ~200 MB of garbage: everything before the garbage is
# kept (the process twice: its totals are twice the good file's alone), the garbage is
# named at the status block's chunk_end and not read (one page of it is).
good_size=$(stat -c %s "$GOOD")
{ cat "$GOOD"; printf '\x93\x09\xdb\x7f\xff\xff\xff'; head -c 200M /dev/urandom; } >garbage.bin
run garbage garbage.bin
expect_line garbage.err "^memscope-merge: garbage\.bin: offset $good_size: [0-9]+ bytes after the last chunk \(the status block's chunk_end\) are not memscope's: not read$" \
  "garbage: the error line"
expect_line garbage.out "^  garbage\.bin: golden pid [0-9]+, mode sampled .*, complete, corrupt at offset $good_size$" \
  "garbage: the file line"
expect_line garbage.out '^memscope: 2 files, 2 processes' "garbage: both processes read"
fast garbage 4000
# Zeros then garbage: the same (the first page after the chunks is not all zeros).
{ cat "$GOOD"; printf '\x00'; head -c 200M /dev/urandom; } >garbage2.bin
run garbage2 garbage2.bin
expect_line garbage2.err "^memscope-merge: garbage2\.bin: offset $good_size: [0-9]+ bytes after the last chunk" "garbage2: the error line"
fast garbage2 4000

# 6. A FIFO (no writer: opening it would wait forever) and /dev/zero, /dev/urandom:
# refused without reading, as not regular files.
mkfifo fifo
run fifo fifo
expect_line fifo.err '^memscope-merge: fifo: not a regular file \(a FIFO\): give - to read a stream from standard input$' \
  "fifo: the error line"
fast fifo 4000
for dev in /dev/zero /dev/urandom; do
  run dev "$dev"
  expect_line dev.err "^memscope-merge: $dev: not a regular file \(a character device\)" "$dev: the error line"
  fast "$dev" 1000
done
# A stream is read from standard input: a foreign one is refused on its first bytes.
status=0
timeout 10 "$MS_MERGE" - </dev/zero >stdin.out 2>stdin.err || status=$?
expect_eq "$status" 1 "- </dev/zero: exit status"
expect_line stdin.err '^memscope-merge: -: offset 0: not a memscope file' "- </dev/zero: the error line"

# 7. A directory holding such files under the record files' names: each one refused at
# once, the good one read.
mkdir -p dir/sub
cp "$GOOD" dir/memscope.good.1.msgpack
mv zeros.bin dir/memscope.zeros.2.msgpack
mv hdrzeros.bin dir/sub/memscope.hdrzeros.3.msgpack
mkfifo dir/memscope.fifo.4.msgpack
t0=$(date +%s%N)
status=0
timeout 10 "$MS_MERGE" --no-symbolize dir >dir.out 2>dir.err || status=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[[ $status != 124 ]] || fail "dir: the merge hung"
expect_eq "$status" 1 "dir: exit status"
expect_line dir.err 'memscope\.zeros\.2\.msgpack: offset 0: not a memscope file' "dir: the zeros file"
expect_line dir.out 'memscope\.hdrzeros\.3\.msgpack: golden pid [0-9]+, mode sampled .*, incomplete \(no end record\)' "dir: the header-and-zeros file"
expect_line dir.err 'memscope\.fifo\.4\.msgpack: not a regular file \(a FIFO\)' "dir: the FIFO"
expect_line dir.out 'memscope\.good\.1\.msgpack: golden pid [0-9]+, mode sampled .*, complete$' "dir: the good file"
fast dir 6000

echo "PASS"
