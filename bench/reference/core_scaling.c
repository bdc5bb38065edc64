// What the machine's cores give together: a dependent floating-point sum over an array, alone and on each core at once
// (bench/core-scaling.sh). A 16 KB array stays in L1 (core work only); a large one streams from memory.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
// argv[1]: bytes of the array walked (L1-sized: pure core work; large: memory)
int main(int c, char** v) {
  size_t n = atol(v[1]) / 8; long reps = atol(v[2]);
  double* a = malloc(n * 8); for (size_t i = 0; i < n; i++) a[i] = i * 0.5;
  struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
  double s = 0; for (long r = 0; r < reps; r++) for (size_t i = 0; i < n; i++) s += a[i] * 1.0000001;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%.3f s (%g)\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, s);
}
