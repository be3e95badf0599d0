"""The Slack confirmation-line parser (issue 13, M1-C): lines per second over a realistic mix.

The mix is deterministic (no randomness: line ``n`` is a function of ``n``): canonical lines, lines with
Slack formatting (bold, code ticks, emoji, mailto links, ``$`` and thousands separators), multi-line
messages and lines that are not understood. Timed: :func:`parse_reply` over every line, best of three
passes (wall, and CPU of the process, with the 1-minute load average). Target: >= 100,000 lines/s.

``python benchmarks/bench_reply_parser.py --smoke`` runs 2,000 lines (well under a second).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from avwap.integrations.slack.reply_parser import Confirmation, parse_reply

FULL = {"lines": 200_000}
SMOKE = {"lines": 2_000}
TARGET_LINES_PER_SECOND = 100_000


def _line(number: int) -> str:
    quantity = 1 + number % 4999
    price = f"{10 + number % 990}.{number % 100:02d}"
    shapes = (
        f"EXECUTED {quantity} @ {price}",
        f"*executed* {quantity:,} @ ${price} filled at the open",
        f":white_check_mark: PARTIAL {quantity} shares at {price} — rest tomorrow",
        f"`EXECUTED {quantity} @ {price}`",
        f"SKIPPED fund {number % 37} closed to new money",
        f"ERROR <mailto:ops{number % 9}@example.com|ops{number % 9}@example.com> says the window is locked",
        f"thanks!\nPARTIAL {quantity} @ {price}",
        f"done, bought {quantity} at {price}",  # not understood: no keyword
        f"EXECUTED {quantity}",  # not understood: no price
        f"<@U0OPERATOR> ✅ executed {quantity} sh @ USD {price}",
    )
    return shapes[number % len(shapes)]


def run(*, smoke: bool = False) -> dict[str, Any]:
    size = SMOKE if smoke else FULL
    lines = [_line(number) for number in range(size["lines"])]
    best = best_cpu = float("inf")
    understood = 0
    for _ in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        results = [parse_reply(line) for line in lines]
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - started_cpu)
        understood = sum(isinstance(result, Confirmation) for result in results)
    rate = len(lines) / best
    return {
        "smoke": smoke,
        "lines": len(lines),
        "understood": understood,
        "not_understood": len(lines) - understood,
        "seconds": round(best, 4),
        "lines_per_second": round(rate),
        # CPU time of this (single-threaded) process: what a busy shared machine changes least
        "cpu_lines_per_second": round(len(lines) / best_cpu),
        "load_average": round(os.getloadavg()[0], 2),
        "target_lines_per_second": TARGET_LINES_PER_SECOND,
        "meets_target": rate >= TARGET_LINES_PER_SECOND,
    }


if __name__ == "__main__":
    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2, sort_keys=True))
