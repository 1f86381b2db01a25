# Debian source packages for the scripts that build third-party code (sourced by
# scripts/try-real-projects and bench/real; $root must be set: sources go to $root/src).
# Needs deb-src entries for bookworm, which scripts/setup adds (root).

# ensure_deb_src: makes `apt-get source` work, running scripts/setup when it does not.
ensure_deb_src() {
  apt-get source --print-uris zlib >/dev/null 2>&1 && return
  echo "== apt-get source does not work: running scripts/setup (enables deb-src)"
  bash scripts/setup || exit 2
  apt-get source --print-uris zlib >/dev/null 2>&1 ||
    { echo "apt-get source still fails: run scripts/setup as root" >&2; exit 2; }
}

# fetch PKG: the unpacked source directory of PKG (downloaded once).
fetch() {
  local dir
  mkdir -p "$root/src"
  dir=$(find "$root/src" -maxdepth 1 -type d -name "$1-[0-9]*" | head -1)
  if [[ -z $dir ]]; then
    (cd "$root/src" && apt-get source -q "$1" >"$1.log" 2>&1) || { echo "apt-get source $1 failed" >&2; return 1; }
    dir=$(find "$root/src" -maxdepth 1 -type d -name "$1-[0-9]*" | head -1)
  fi
  echo "$dir"
}
