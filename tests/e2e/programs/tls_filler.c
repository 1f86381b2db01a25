/* A library with 16 bytes of initial-exec TLS of its own: dlopen'ed again and again
 * (copies under other names) by tls_exhaust.c until glibc's static TLS surplus is gone. */
__thread char tls_filler_bytes[16] __attribute__((tls_model("initial-exec")));
char tls_filler_get(int i) { return tls_filler_bytes[i & 15]; }
