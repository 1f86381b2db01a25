# Shared helpers for the end-to-end test scripts: fail loudly with what was expected.
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_line FILE REGEX DESCRIPTION: some line of FILE matches the extended REGEX.
expect_line() {
  grep -Eq -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "$3: no line matches /$2/"; }
}

# expect_eq ACTUAL EXPECTED DESCRIPTION
expect_eq() {
  [[ "$1" == "$2" ]] || fail "$3: got '$1', expected '$2'"
}

# line_of FILE MARKER: the line number of the source line holding MARKER.
line_of() {
  awk -v m="$2" 'index($0, m) {print NR; found = 1; exit} END {exit !found}' "$1" ||
    fail "marker '$2' not found in $1"
}

# --- Running a program and merging its profile -------------------------------------------
# The scripts keep the memscope-merge to use in $merge.
_e2e_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# python3 (CMake gives the interpreter's own path: see CMakeLists.txt).
python=${MEMSCOPE_E2E_PYTHON:-python3}

# run_profiled [--status N] [--files N] [--stderr-ok] DIR [VAR=VALUE...] PROGRAM [ARG...]
# Runs PROGRAM ARG... with MEMSCOPE_OUT=DIR (emptied first) and the VAR=VALUE environment
# (for the program alone), its output in DIR.stdout and DIR.stderr.  Fails unless it exits
# with status 0 (or N), writes nothing to stderr (unless --stderr-ok) and leaves exactly
# one profile (or N) under DIR.  Sets the array `profiles` to their paths, sorted.
run_profiled() {
  local status=0 files=1 stderr_ok=0
  while [[ ${1:-} == --* ]]; do
    case $1 in
      --status) status=$2; shift 2 ;;
      --files) files=$2; shift 2 ;;
      --stderr-ok) stderr_ok=1; shift ;;
      *) fail "run_profiled: unknown option $1" ;;
    esac
  done
  local dir=$1 vars=()
  shift
  while [[ ${1:-} =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do vars+=("$1"); shift; done
  (($#)) || fail "run_profiled $dir: no program"
  local run="${vars[*]:+${vars[*]} }$*" got=0
  rm -rf "$dir" && mkdir -p "$dir"
  env "${vars[@]}" MEMSCOPE_OUT="$dir" "$@" >"$dir.stdout" 2>"$dir.stderr" || got=$?
  ((got == status)) ||
    fail "$run: exit status $got, expected $status; its stderr: $(cat "$dir.stderr")"
  ((stderr_ok)) || [[ ! -s "$dir.stderr" ]] || fail "$run wrote to stderr: $(cat "$dir.stderr")"
  mapfile -t profiles < <(find "$dir" -name 'memscope.*.msgpack' | sort)
  ((${#profiles[@]} == files)) ||
    fail "$run left ${#profiles[@]} profiles in $dir, expected $files: ${profiles[*]}"
}

# merge_to_json [--status N] [--cut-ok] OUT.json FILE...: memscope-merge --json of the
# FILEs into OUT.json, its stderr in OUT.merge.stderr (OUT: the name without .json).
# Fails unless the merge exits with status 0 (or N) and, with status 0, says nothing on
# stderr.  --cut-ok: a file cut short is fine (status 1 and its message, or 0).
merge_to_json() {
  local status=0 cut_ok=0
  while [[ ${1:-} == --* ]]; do
    case $1 in
      --status) status=$2; shift 2 ;;
      --cut-ok) cut_ok=1; shift ;;
      *) fail "merge_to_json: unknown option $1" ;;
    esac
  done
  local out=$1
  shift
  local err=${out%.json}.merge.stderr got=0
  "${merge:?the script sets merge, the memscope-merge to use}" --format json -o "$out" "$@" \
    2>"$err" || got=$?
  if ((cut_ok && got == 1)); then
    return 0
  fi
  ((got == status)) || fail "merge of $* exited with status $got, expected $status: $(cat "$err")"
  ((status != 0 || cut_ok)) || [[ ! -s "$err" ]] || fail "merge of $* complained: $(cat "$err")"
}

# run_and_merge [OPTIONS] DIR [VAR=VALUE...] PROGRAM [ARG...]: run_profiled (its options,
# and --cut-ok for the merge), then the profiles merged into DIR.json (merge_to_json).
run_and_merge() {
  local opts=() cut_ok=()
  while [[ ${1:-} == --* ]]; do
    case $1 in
      --status | --files) opts+=("$1" "$2"); shift 2 ;;
      --cut-ok) cut_ok=(--cut-ok); shift ;;
      *) opts+=("$1"); shift ;;
    esac
  done
  run_profiled "${opts[@]}" "$@"
  merge_to_json "${cut_ok[@]}" "$1.json" "${profiles[@]}"
}

# --- Assertions on the JSON report (json_query.py says what a PATH can be) ---------------
_json_checks=()

# expect_json PATH [OP] VALUE DESCRIPTION: the report's PATH is VALUE (OP: = != ~ > >= < <=;
# default =).  Checks pile up until json_check runs them all.
expect_json() {
  case $# in
    3) _json_checks+=("$1" "=" "$2" "$3") ;;
    4) _json_checks+=("$1" "$2" "$3" "$4") ;;
    *) fail "expect_json: 3 or 4 arguments, not: $*" ;;
  esac
}

# expect_fields PATH KEY=VALUE...: PATH.KEY is VALUE for each (described by their path);
# KEY!=VALUE, KEY~REGEX, KEY>N and the like compare with expect_json's OP.  PATH . is the
# top: the KEYs are whole paths.
expect_fields() {
  local path=$1 kv form='^([^=!~<>]+)(!=|>=|<=|=|~|>|<)(.*)$'
  shift
  for kv in "$@"; do
    [[ $kv =~ $form ]] || fail "expect_fields $path: '$kv' is not KEY OP VALUE"
    local key=${BASH_REMATCH[1]}
    [[ $path == . ]] || key=$path.$key
    expect_json "$key" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}" "$key"
  done
}

# expect_site WHERE CALLS BYTES API FUNCTION DESCRIPTION: the one site with api API and
# WHERE (a filter: at=FILE:LINE, the place its call is written) made CALLS calls of BYTES
# bytes (bytes freed for a free site; - : not checked) in FUNCTION (frames[0]): one row of
# the text report's site tables.
expect_site() {
  local site="sites[$1,api=$4]"
  expect_json "$site.calls" "$2" "$6: calls"
  [[ $3 == - ]] || expect_json "$site.bytes" "$3" "$6: bytes"
  expect_json "$site.frames.0.function" "$5" "$6: function"
}

# expect_complete: the report's one process wrote its profile whole: its input read to
# the end, an END record, no event dropped or skipped, no site where the counters and the
# events disagree.
expect_complete() {
  expect_json inputs.0.status ok "input read whole"
  expect_fields processes.0 complete=true dropped_events=0 skipped_records=0 \
    skipped_events=0 disagreeing_sites=0
}

# json_check REPORT.json: runs the pending checks on REPORT.json (one python3 call) and
# fails naming each that does not hold.
json_check() {
  ((${#_json_checks[@]})) || fail "json_check $1: no checks"
  local checks=("${_json_checks[@]}") status=0
  _json_checks=()
  printf '%s\0' "${checks[@]}" | "$python" "$_e2e_dir/json_query.py" check "$1" || status=$?
  ((status != 1)) || exit 1 # json_query.py said what failed
  ((status == 0)) || fail "json_query.py check $1: exit status $status"
}

# json_get REPORT.json PATH...: the values, one per line.
json_get() {
  "$python" "$_e2e_dir/json_query.py" get "$@" || fail "json_get $*"
}

# Checks left pending at the end are a mistake in the script: say so.
trap '_rc=$?; if ((_rc == 0 && ${#_json_checks[@]})); then
  echo "FAIL: $((${#_json_checks[@]} / 4)) JSON checks never run (json_check missing)" >&2; exit 1; fi' EXIT
