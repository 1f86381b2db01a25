/* One spelling of a function and of a path in every output (docs/merge.md, "Names").
 *
 * A function reaches the merge two ways: from the pass's site tables (qualified names
 * from the debug info's scopes, "Pool::process", no parameters) and from llvm-symbolizer
 * on stacks (demangled linkage names, "void Pool::process(int) const").  Both are brought
 * to the first form, so that a function is one node in a flame graph, one pprof Function
 * and one row of a table whichever way it was seen. */
#ifndef MEMSCOPE_MERGE_NAMES_H
#define MEMSCOPE_MERGE_NAMES_H

#include <stddef.h>

/* Rewrites a demangled C++ name in place: no return type ("void f<int>(int)" -> "f<int>"),
 * no parameter list or trailing qualifiers ("f(int) const &" -> "f"), and "> >" written
 * ">>"; an allocation wrapper's twin "xmalloc.memscope" is "xmalloc".  A C name,
 * "operator()" and "(anonymous namespace)::f" keep their meaning; a name
 * whose brackets do not balance is left as it is.  Returns name. */
char *mg_name_function(char *name);

/* Rewrites an absolute or relative path in place without "." and ".." components
 * ("/usr/lib/gcc/x/12/../../../../include/a.h" -> "/usr/include/a.h"; a leading ".." of a
 * relative path stays) and without repeated slashes.  Returns path. */
char *mg_name_path(char *path);

#endif
