"""PII detector: precision and recall per kind on the labelled corpus, and its speed.

The corpus (``tests/safety/pii_corpus.jsonl``, built by ``build_pii_corpus.py``) holds
planted PII in varied sentences and tricky look-alikes (Luhn-failing and non-IIN
numbers, IMEIs, timestamps, versions, UUIDs, ISBNs, order ids, product codes...).
Rows marked ``heldout`` were written after the detector was tuned.

    python benchmarks/pii_detector.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "safety"))

from pii_scoring import load, score, table

from llmeval.safety.pii import find_pii


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args()
    rows = load()
    pos = sum(1 for r in rows if r["pii"])
    print(f"corpus: {len(rows)} strings ({pos} with PII, {len(rows) - pos} look-alikes)\n")
    print(table(score(rows)))
    held = [r for r in rows if r.get("set") == "heldout"]
    print(f"\nheld-out rows only ({len(held)}):")
    print(table(score(held)))
    texts = [r["text"] for r in rows]
    start = time.perf_counter()
    for _ in range(args.repeat):
        for t in texts:
            find_pii(t)
    per = (time.perf_counter() - start) / (args.repeat * len(texts)) * 1e6
    chars = sum(map(len, texts)) / len(texts)
    print(f"\nspeed: {per:.1f} µs per string (mean {chars:.0f} chars), all kinds")
    long = " ".join(texts) * 2
    start = time.perf_counter()
    find_pii(long)
    secs = time.perf_counter() - start
    print(f"       {len(long) / secs / 1e6:.2f} MB/s on one {len(long) // 1000} kB text")


if __name__ == "__main__":
    main()
