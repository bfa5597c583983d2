"""How long a dimension filter's popup takes to fill and to narrow as the user types, for lists
of 100 to 10,000 values (the real sample has 100+ numeric category ids; some exports have
thousands). Prints milliseconds per operation (median of ``--repeat`` runs).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_value_picker.py

Figures measured on a shared, loaded machine are noisy: compare runs made side by side."""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    from shoplytics_desktop.ui.dashboards.controls import MultiSelect

    print(f"{'values':>7} {'fill ms':>8} {'narrow ms':>10} {'select shown ms':>16}")
    for n in (100, 1_000, 10_000):
        values = tuple(str(2053013552226107603 + 7919 * i) for i in range(n))
        fill, narrow, select = [], [], []
        for _ in range(args.repeat):
            m = MultiSelect("category")
            t0 = time.perf_counter()
            m.set_options(values)
            t1 = time.perf_counter()
            m.picker.search.setText("79")
            t2 = time.perf_counter()
            m.picker.select_all_shown()
            t3 = time.perf_counter()
            fill.append(t1 - t0)
            narrow.append(t2 - t1)
            select.append(t3 - t2)
            m.deleteLater()
            app.processEvents()
        ms = [1000 * statistics.median(x) for x in (fill, narrow, select)]
        print(f"{n:>7,} {ms[0]:>8.1f} {ms[1]:>10.1f} {ms[2]:>16.1f}")


if __name__ == "__main__":
    main()
