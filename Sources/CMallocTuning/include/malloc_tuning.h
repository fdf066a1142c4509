#ifndef ANOMSYNTH_MALLOC_TUNING_H
#define ANOMSYNTH_MALLOC_TUNING_H

/// Keeps large, short-lived buffers (training batches, gradients) in the heap
/// instead of mapping fresh zeroed pages for each one. A no-op off glibc.
void anomsynth_tune_malloc(void);

#endif
