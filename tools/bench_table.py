#!/usr/bin/python3
"""Prints bench/results/latest.json as a table.

Each benchmark object: {"name": ..., "subject": {"label":..., "value":...,
"unit":...}, "baseline": {...}, "ratio": ..., "goal": ..., "extra": {...}}.
"""
import json
import sys

data = json.load(open(sys.argv[1]))
rows = [("benchmark", "subject", "baseline", "ratio", "goal")]
for b in data["benchmarks"]:
    s, base = b["subject"], b["baseline"]
    rows.append((b["name"],
                 f'{s["label"]}: {s["value"]:.4g} {s["unit"]}',
                 f'{base["label"]}: {base["value"]:.4g} {base["unit"]}',
                 f'{b["ratio"]:.3f}', str(b.get("goal", ""))))
widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
for i, r in enumerate(rows):
    print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    if i == 0:
        print("  ".join("-" * w for w in widths))
for b in data["benchmarks"]:
    for k, v in b.get("extra", {}).items():
        print(f'  {b["name"]}.{k} = {v}')
