"""One benchmark in its own process, so its peak memory is its own: ``python -m bench.measure NAME --out F``.

``bench/__main__.py`` runs these in turn; each writes its figures (and ``peak_rss_mb``) as JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import time

from .stats import peak_rss_mb, setup_django


def grow(args) -> dict:
    from .generator import Generator

    generator = Generator(seed=args.size)
    generator.ensure_directory()
    return generator.grow_to(args.size)


def pages(args) -> dict:
    from . import pages as measure_pages

    return measure_pages.measure(iterations=args.iterations)


def reports(args) -> dict:
    from . import pages as measure_pages

    return measure_pages.measure_reports(iterations=args.iterations)


def rollup(args) -> dict:
    from . import pages as measure_pages

    return measure_pages.measure_rollup()


def api(args) -> dict:
    from . import api as measure_api

    return measure_api.measure(seconds=args.seconds)


def intake(args) -> dict:
    from . import intake as measure_intake

    return measure_intake.measure(messages=args.count)


def search_write(args) -> dict:
    from . import search_write as measure_search_write

    return measure_search_write.measure(seconds=args.seconds)


def reminders(args) -> dict:
    from . import jobs

    return jobs.measure_reminders(loans=args.count)


def invoices(args) -> dict:
    from . import jobs

    return jobs.measure_invoices(partners=args.count)


def holdings(args) -> dict:
    from . import jobs

    return jobs.measure_holdings_import(records=args.count)


def watermark(args) -> dict:
    from . import cleanup

    return {"last_request": cleanup.last_request_id()}


def undo_writes(args) -> dict:
    from . import cleanup

    return cleanup.remove_requests_after(args.after)


MEASURES = {f.__name__: f for f in (grow, pages, rollup, reports, api, intake, search_write, reminders, invoices,
                                    holdings, watermark, undo_writes)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.measure")
    parser.add_argument("name", choices=sorted(MEASURES))
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--after", type=int, default=0, help="undo_writes: the last request id to keep")
    args = parser.parse_args()
    setup_django()
    started = time.perf_counter()
    result = MEASURES[args.name](args)
    payload = {"result": result, "wall_seconds": round(time.perf_counter() - started, 2),
               "peak_rss_mb": peak_rss_mb()}
    with open(args.out, "w") as out:
        json.dump(payload, out, indent=1, default=str)


if __name__ == "__main__":
    main()
