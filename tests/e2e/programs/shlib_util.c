/* The program's second object file: frees blocks made in the libraries. */
#include <stdlib.h>

void release_all(void **blocks, int n) {
  for (int i = 0; i < n; i++)
    free(blocks[i]); /* site:util-free */
}
