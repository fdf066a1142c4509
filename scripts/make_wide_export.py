#!/usr/bin/env python3
"""A donors-style export for the scaling benchmark: an id, a date, 3 numeric columns and 7
true/false columns (20 model columns once the booleans are one-hot and the date is days,
weekday and month), about 6% anomalies that depend on the features with noise (no single
column gives the label away). Deterministic for a seed.

    python3 scripts/make_wide_export.py ROWS OUT.csv [SEED]
"""
import sys

import numpy as np


def main():
    rows, out = int(sys.argv[1]), sys.argv[2]
    rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    amount = np.round(rng.lognormal(3.5, 0.9, rows), 2)
    students = rng.poisson(25, rows)
    price = np.round(rng.gamma(2.0, 150.0, rows), 2)
    flags = rng.random((rows, 7)) < np.array([0.1, 0.3, 0.5, 0.2, 0.05, 0.7, 0.4])
    days = rng.integers(0, 4 * 365, rows)
    dates = (np.datetime64("2010-01-01") + days.astype("timedelta64[D]")).astype(str)
    risk = 0.8 * (np.log(amount) - 3.5) + 0.6 * flags[:, 0] + 0.5 * flags[:, 4] - 0.3 * flags[:, 5] + 0.002 * (price - 300)
    label = (risk + rng.normal(0, 1.0, rows)) > 2.1
    with open(out, "w") as f:
        f.write("projectid,date_posted,amount,students_reached,total_price," + ",".join(f"flag_{i}" for i in range(7)) + ",is_exciting\n")
        for r in range(rows):
            flag_text = ",".join("t" if x else "f" for x in flags[r])
            f.write(f"p{r:07d},{dates[r]},{amount[r]},{students[r]},{price[r]},{flag_text},{'t' if label[r] else 'f'}\n")
    print(f"{out}: {rows} rows, {label.mean():.1%} anomalies")


if __name__ == "__main__":
    main()
