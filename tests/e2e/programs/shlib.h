/* The two instrumented shared libraries of tests/e2e/shlib.sh: shlib_a.c is linked
 * into the program, shlib_b.c is dlopen'ed (its functions are found with dlsym). */
#include <stddef.h>

/* libshlib_a.so */
void *liba_make(size_t n); /* a block the caller frees */
void liba_churn(int n);    /* allocates and frees inside the library */

/* libshlib_b.so, through dlsym */
typedef void *libb_make_fn(size_t n);
typedef void libb_release_fn(void *p);
typedef void libb_churn_fn(int n);
typedef int libb_loads_fn(void);
