#include "malloc_tuning.h"
#include <stdlib.h>  /* defines __GLIBC__ on glibc systems */

#if defined(__GLIBC__)
#include <malloc.h>

void anomsynth_tune_malloc(void) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  /* glibc's ceiling on 64-bit */
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
}
#else
void anomsynth_tune_malloc(void) {}
#endif
