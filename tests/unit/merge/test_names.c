/* One spelling of function names and paths (base/names.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "suites.h"

static void expect_function(const char *in, const char *want) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", in);
  ck_assert_str_eq(mg_name_function(buf), want);
}

static void expect_path(const char *in, const char *want) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", in);
  ck_assert_str_eq(mg_name_path(buf), want);
}

START_TEST(test_function_names) {
  expect_function("make_job", "make_job");
  expect_function("make_job(int)", "make_job");
  expect_function("xmalloc.memscope", "xmalloc");
  expect_function(".memscope", ".memscope");
  expect_function("Pool::process(int) const", "Pool::process");
  expect_function("f() const &", "f");
  expect_function("g() &&", "g");
  expect_function("(anonymous namespace)::f(int)", "(anonymous namespace)::f");
  expect_function("main::$_0::operator()() const", "main::$_0::operator()");
  expect_function("std::function<void ()>::operator()() const", "std::function<void ()>::operator()");
  expect_function("operator new(unsigned long)", "operator new");
  expect_function("operator delete[](void*, unsigned long)", "operator delete[]");
  expect_function("A::operator<(A const&) const", "A::operator<");
  expect_function("A::operator bool() const", "A::operator bool");
  /* the demangler's return type of a template, and its ">>" against clang's "> >" */
  expect_function("void std::vector<double, std::allocator<double>>::_M_realloc_insert<double>("
                  "__gnu_cxx::__normal_iterator<double*, std::vector<double, std::allocator<double>>>, double&&)",
                  "std::vector<double, std::allocator<double>>::_M_realloc_insert<double>");
  expect_function("std::vector<double, std::allocator<double> >::push_back",
                  "std::vector<double, std::allocator<double>>::push_back");
  expect_function("unsigned long* f<int>(int)", "f<int>");
  expect_function("std::basic_string<char> std::operator+<char>(std::basic_string<char> const&, "
                  "char const*)", "std::operator+<char>");
  /* "<<" or "<" then "<A>"?  Read as "<<": unbalanced, so left as it is */
  expect_function("bool operator<<A>(A const&, A const&)", "bool operator<<A>(A const&, A const&)");
  expect_function("X::operator<<(int)", "X::operator<<");
  expect_function("X::operator->() const", "X::operator->");
  /* left alone: nothing to remove, or brackets that do not balance */
  expect_function("(anonymous namespace)", "(anonymous namespace)");
  expect_function("broken(int", "broken(int");
  expect_function("x>) y(int)", "x>) y(int)");
  ck_assert_ptr_null(mg_name_function(NULL));
}
END_TEST

START_TEST(test_paths) {
  expect_path("/usr/lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/new_allocator.h",
              "/usr/include/c++/12/bits/new_allocator.h");
  expect_path("/a/./b//c", "/a/b/c");
  expect_path("/../a", "/a");
  expect_path("a/../../b", "../b");
  expect_path("../x/./y", "../x/y");
  expect_path("a/..", ".");
  expect_path("/", "/");
  expect_path("pool.cpp", "pool.cpp");
}
END_TEST

Suite *names_suite(void) {
  Suite *s = suite_create("names");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_function_names);
  tcase_add_test(tc, test_paths);
  suite_add_tcase(s, tc);
  return s;
}
