/* A small library: built as a shared library, instrumented like the program. */
int counter_fill(int n);
