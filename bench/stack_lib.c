/* The shared-library half of stack_bench's call chain: frames in another module, as a
 * program's stacks pass through its libraries.  Calls back into the program. */
int stack_lib_hop(int n, int (*back)(int)) {
  int r = back(n - 1);
  __asm__ volatile("" ::: "memory"); /* not a tail call: this frame stays on the stack */
  return r + 1;
}
