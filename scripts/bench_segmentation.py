"""Benchmark the Khmer-aware segmentation (uncached): median and p95 per message.

python -m scripts.bench_segmentation [--runs 200]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bot.nlu import segmentation

MESSAGES = [
    "តើខ្ញុំអាចទទួលបានប្រាក់ឧបត្ថម្ភលំហែមាតុភាពប៉ុន្មាន? ខ្ញុំធ្វើការរោងចក្របាន៨ខែ ប្រាក់ខែ $250",
    "hi bong, how much is NSSF contribution for 10 workers $250? ខ្ញុំមានបុគ្គលិក១០នាក់",
    "ខ្ញុំចង់ដឹងពី maternity leave និងប្រាក់បំណាច់មាតុភាព សម្រាប់កម្មការិនីរោងចក្រកាត់ដេរ",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    segmentation.load_segmenter()
    timings = []
    for i in range(args.runs):
        segmentation._khmer_words.cache_clear()
        began = time.perf_counter()
        segmentation.segment(MESSAGES[i % len(MESSAGES)])
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    p95 = timings[int(0.95 * len(timings)) - 1]
    print(
        f"segment(): {args.runs} uncached messages of ~100 characters: "
        f"median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms"
    )


if __name__ == "__main__":
    main()
