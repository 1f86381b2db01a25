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
  local n
  n=$(grep -n -F -- "$2" "$1" | head -1 | cut -d: -f1)
  [[ -n "$n" ]] || fail "marker '$2' not found in $1"
  echo "$n"
}

# section FILE TITLE: the lines of a summary section, from its title to the blank line.
section() {
  awk -v t="$2" '$0 == t {on=1; next} on && /^$/ {exit} on {print}' "$1"
}
