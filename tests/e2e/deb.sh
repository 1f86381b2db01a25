#!/usr/bin/env bash
# The Debian package, built by CPack from the build tree's install rules: its file list,
# its control fields, and the paths inside its pkg-config file.  It is not installed.
# Usage: deb.sh BUILD_DIR MULTIARCH WORKDIR
source "$(dirname "$0")/lib.sh"
build=$1 arch=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
# The project's CPack configuration, fed a staged install: plain `cpack -G DEB` would first
# build the whole tree (its preinstall target), which a test must not do.
DESTDIR=$work/stage cmake --install "$build" --prefix /usr >"$work/install.log" 2>&1 \
  || fail "staged install failed: $(cat "$work/install.log")"
cat >"$work/config.cmake" <<CFG
include("$build/CPackConfig.cmake")
set(CPACK_INSTALL_CMAKE_PROJECTS "")
set(CPACK_INSTALLED_DIRECTORIES "$work/stage;.")
CFG
cpack -G DEB --config "$work/config.cmake" -B "$work" >"$work/cpack.log" 2>&1 \
  || fail "cpack failed: $(cat "$work/cpack.log")"
debs=("$work"/memscope_*.deb)
expect_eq "${#debs[@]}" 1 "one package"
deb=${debs[0]}

dpkg-deb -c "$deb" >"$work/listing"
awk '{print $6}' "$work/listing" | sed 's|^\./|/|' >"$work/files"
for f in /usr/bin/memscope-merge /usr/bin/memscope-cc /usr/bin/memscope-c++ \
         /usr/lib/memscope/MemscopePass.so "/usr/lib/$arch/libmemscope.a" \
         "/usr/lib/$arch/libmemscope.so" "/usr/lib/$arch/libmemscope.so.0" \
         "/usr/lib/$arch/pkgconfig/memscope.pc" \
         "/usr/lib/$arch/cmake/memscope/memscopeConfig.cmake" \
         "/usr/lib/$arch/cmake/memscope/memscopeConfigVersion.cmake" \
         /usr/include/memscope.h /usr/include/memscope/abi.h /usr/include/memscope/format.h \
         /usr/share/doc/memscope/README.md /usr/share/doc/memscope/install.md; do
  expect_line "$work/files" "^${f//./\\.}$" "$f in the package"
done
# Nothing from the build or the tests, nothing outside /usr.
grep -v '^/usr/\|^/$' "$work/files" >"$work/outside" && fail "outside /usr: $(cat "$work/outside")"
grep -Ei 'test|bench|example|fuzz' "$work/files" >"$work/extra" && fail "stray files: $(cat "$work/extra")"

expect_eq "$(dpkg-deb -f "$deb" Package)" memscope "package name"
dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//' >"$work/depends"
for dep in clang-19 libc6 libmsgpackc2; do
  expect_line "$work/depends" "^$dep( |$)" "Depends: $dep"
done

# The pkg-config file names /usr, not CPack's staging directory.
dpkg-deb -x "$deb" "$work/root"
pc=$work/root/usr/lib/$arch/pkgconfig/memscope.pc
expect_line "$pc" '^prefix=/usr$' "pkg-config prefix"
expect_line "$pc" '^plugin=\$\{prefix\}/lib/memscope/MemscopePass\.so$' "pkg-config plugin"
[[ -L $work/root/usr/bin/memscope-c++ ]] || fail "memscope-c++ is not a symlink"
echo "e2e deb: all checks passed"
