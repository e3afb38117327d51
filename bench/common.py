"""Small helpers shared by the benchmarks: percentiles and a printed table."""

from __future__ import annotations

import statistics


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile; enough for benchmark tables."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary(name: str, latencies_s: list[float], wall_s: float) -> dict:
    return {
        "name": name, "n": len(latencies_s), "per_s": len(latencies_s) / wall_s if wall_s else 0.0,
        "p50_ms": percentile(latencies_s, 50) * 1000, "p99_ms": percentile(latencies_s, 99) * 1000,
        "mean_ms": statistics.fmean(latencies_s) * 1000 if latencies_s else float("nan"),
    }


def table(rows: list[dict], baseline: str | None = None) -> str:
    """Rows as a Markdown table, with each row's throughput relative to the baseline row."""
    base = next((r for r in rows if r["name"] == baseline), None)
    out = ["| case | n | per second | p50 ms | p99 ms | vs baseline |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r is base:
            ratio = "baseline"
        elif base and r["per_s"]:
            ratio = f"{base['per_s'] / r['per_s']:.1f}x slower"
        else:
            ratio = ""
        out.append(f"| {r['name']} | {r['n']} | {r['per_s']:,.0f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {ratio} |")
    return "\n".join(out)
