#ifndef ANOMSYNTH_NEIGHBOUR_FILTER_H
#define ANOMSYNTH_NEIGHBOUR_FILTER_H

/// The pre-filter of the blocked nearest-neighbour search: writes to `out` the indices `j`
/// (ascending) of the `n` pairs whose lower bound `query_lower + point_lowers[j] - 2 * products[j]`
/// is at most `bound`, and returns how many there are. Evaluated in that order, without
/// contraction, so every CPU keeps the same pairs.
long anomsynth_filter_below(const float *products, const float *point_lowers, float query_lower, float bound,
                            long n, long *out);

/// The pre-filter of the blocked radius test: the indices `j` (ascending) of the `n` pairs whose
/// lower bound `query_lower + point_lowers[j] - 2 * products[j]` is at most `radii[j]`.
long anomsynth_filter_within(const float *products, const float *point_lowers, float query_lower, const float *radii,
                             long n, long *out);

#endif
