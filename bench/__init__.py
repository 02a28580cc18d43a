"""Benchmarks at network scale, run by ``make bench`` (never collected by pytest).

``python -m bench`` grows a PostgreSQL database through the sizes of ``BENCH_SIZES``
(10k → 100k → 1M requests by default), measures the staff pages, the partner API, ISO
18626 intake, the nightly jobs and the holdings import, and writes ``bench/results.json``
and ``bench/results.md``. See docs/performance.md.
"""
