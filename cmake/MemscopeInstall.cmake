# Install layout, pkg-config file, CMake package and Debian package (docs/install.md).
#
#   bin/                      memscope-merge, memscope-cc, memscope-c++, memscope
#   lib/<multiarch>/          libmemscope.a, libmemscope.so*, pkgconfig/memscope.pc,
#                             cmake/memscope/memscopeConfig{,Version}.cmake
#   lib/memscope/             MemscopePass.so (where memscope-cc looks: ../lib/memscope)
#   include/                  memscope.h, memscope/*.h
#   share/doc/memscope/       README.md and docs/*.md
#
# Included from the root CMakeLists.txt, after every part is defined.

# Debian's multiarch library directory whatever the prefix (GNUInstallDirs uses it only
# for /usr), so that a test install lays out like the package.
if(NOT DEFINED CMAKE_INSTALL_LIBDIR AND CMAKE_LIBRARY_ARCHITECTURE
   AND EXISTS /etc/debian_version)
  set(CMAKE_INSTALL_LIBDIR lib/${CMAKE_LIBRARY_ARCHITECTURE} CACHE PATH "Object code libraries")
endif()
include(GNUInstallDirs)
set(MEMSCOPE_INSTALL_PLUGINDIR lib/memscope)
set(MEMSCOPE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/memscope)

# memscope-merge installs itself (merge/CMakeLists.txt).
install(TARGETS memscope-cc memscope RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_BINARY_DIR}/tools/memscope-c++ DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS memscope_static memscope_shared
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS MemscopePass LIBRARY DESTINATION ${MEMSCOPE_INSTALL_PLUGINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/memscope.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/memscope DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
file(GLOB memscope_docs ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${memscope_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR})

# pkg-config: written at install time, straight into place, so that
# `cmake --install --prefix P` and CPack's staging (DESTDIR) both get the prefix the
# files are really under.  Absolute paths,
# not ${pcfiledir}: a relative -I/usr/include would reorder system headers.
set(PKG_PREFIX "@PKG_PREFIX@") # kept for the install-time pass
configure_file(${CMAKE_CURRENT_LIST_DIR}/memscope.pc.in ${CMAKE_BINARY_DIR}/memscope.pc.in @ONLY)
install(CODE "
  set(PKG_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(pc \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/memscope.pc\")
  message(STATUS \"Installing: \${pc}\")
  configure_file(\"${CMAKE_BINARY_DIR}/memscope.pc.in\" \"\${pc}\" @ONLY)
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${pc}\")
")

# CMake package: relocatable, everything found relative to the config file itself.
include(CMakePackageConfigHelpers)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/memscopeConfig.cmake.in
  ${CMAKE_BINARY_DIR}/memscopeConfig.cmake
  INSTALL_DESTINATION ${MEMSCOPE_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR
            MEMSCOPE_INSTALL_PLUGINDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/memscopeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/memscopeConfig.cmake ${CMAKE_BINARY_DIR}/memscopeConfigVersion.cmake
  DESTINATION ${MEMSCOPE_INSTALL_CMAKEDIR})

# Debian package: `cpack -G DEB` in the build directory.
set(CPACK_PACKAGE_NAME memscope)
set(CPACK_PACKAGE_VENDOR memscope)
set(CPACK_PACKAGE_CONTACT "memscope developers <memscope@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "allocation profiler for multi-threaded C and C++ programs")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# clang-19 loads the plugin and is what memscope-cc runs.  The shared libraries' own
# dependencies come from dpkg-shlibdeps (dpkg-dev) when it is there, else from this
# list, what `ldd` shows today (libmsgpackc2 and zlib1g: memscope-merge; libstdc++6
# and libgcc-s1, which clang-19 needs anyway: the plugin).
find_program(MEMSCOPE_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(MEMSCOPE_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "clang-${MEMSCOPE_LLVM_VERSION}")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6 (>= 2.34), libmsgpackc2, zlib1g, clang-${MEMSCOPE_LLVM_VERSION}")
endif()
# Staged with DESTDIR and the real prefix: the .pc file, written at install time,
# then names /usr and not the staging directory.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
include(CPack)
