#include "neighbour_filter.h"

long anomsynth_filter_below(const float *products, const float *point_lowers, float query_lower, float bound,
                            long n, long *out) {
    // Almost every chunk has no pair below the bound: one vectorizable pass finds out.
    int any = 0;
    for (long j = 0; j < n; j++) any |= (query_lower + point_lowers[j]) - 2.0f * products[j] <= bound;
    if (!any) return 0;
    long count = 0;
    for (long j = 0; j < n; j++) {
        float lower = (query_lower + point_lowers[j]) - 2.0f * products[j];
        out[count] = j;
        count += lower <= bound;
    }
    return count;
}

long anomsynth_filter_within(const float *products, const float *point_lowers, float query_lower, const float *radii,
                             long n, long *out) {
    int any = 0;
    for (long j = 0; j < n; j++) any |= (query_lower + point_lowers[j]) - 2.0f * products[j] <= radii[j];
    if (!any) return 0;
    long count = 0;
    for (long j = 0; j < n; j++) {
        float lower = (query_lower + point_lowers[j]) - 2.0f * products[j];
        out[count] = j;
        count += lower <= radii[j];
    }
    return count;
}
