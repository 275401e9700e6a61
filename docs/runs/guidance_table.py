#!/usr/bin/env python3
"""guidance_table.py METRICS.json... — the README's guidance and imbalance tables: one
Markdown row per (p_data, guidance weight w, model), over the seeds given.

Standard library only. Per z2 (animal / vehicle), mean ± standard deviation over the seeds:
the classifier's recognised share and its KL(p_data || p_model) over the recognised
samples; then, per seed (in the order of the files), the share of dogs among the recognised
animals and of cars among the recognised vehicles. The per-seed shares are listed rather
than averaged because a model may lean one way in one seed and the other way in the next,
which a mean would hide (KL does not: it grows with a lean either way).
"""
import json
import math
import sys
from collections import defaultdict


def mean_sd(values):
    m = sum(values) / len(values)
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return m, sd


def model_name(m):
    if m["model_kind"] == "flat":
        return "A (flat)"
    if m.get("prior_guidance", 1.0) != 1.0:
        return "B, decoder and prior guided"
    return "B (hierarchical)" if m.get("guidance", 1.0) == 1.0 else "B, decoder guided"


def share(c, first, second):
    r = c["recognised_modes"]
    total = r[first] + r[second]
    return None if total == 0 else 100.0 * r[first] / total


def main(paths):
    groups = defaultdict(list)
    for path in paths:
        with open(path) as f:
            m = json.load(f)
        key = (m["p_data"]["dog"], m["p_data"]["car"], m.get("guidance", 1.0), model_name(m))
        groups[key].append(m)
    print("| p_data dog / car | w | model | seeds | recognised, animal / vehicle | classifier KL, animal / vehicle "
          "| dogs among recognised animals, per seed | cars among recognised vehicles, per seed |")
    print("|---|---|---|---|---|---|---|---|")
    order = {"A (flat)": 0, "B (hierarchical)": 1, "B, decoder guided": 1, "B, decoder and prior guided": 2}
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2], order[k[3]])):
        p_dog, p_car, w, name = key
        runs = groups[key]
        cells = []
        for z2 in ("animal", "vehicle"):
            cells.append(mean_sd([100 * r["per_z2"][z2]["classifier"]["recognisable_share"] for r in runs]))
        recognised = " / ".join(f"{m:.0f} ± {sd:.0f} %" for m, sd in cells)
        kls = []
        for z2 in ("animal", "vehicle"):
            values = [r["per_z2"][z2]["classifier"]["kl_nats"] for r in runs if "kl_nats" in r["per_z2"][z2]["classifier"]]
            kls.append("—" if not values else "{:.3f} ± {:.3f}".format(*mean_sd(values)))
        per_seed = []
        for z2, first, second in (("animal", "dog", "cat"), ("vehicle", "car", "truck")):
            values = [share(r["per_z2"][z2]["classifier"], first, second) for r in runs]
            per_seed.append(", ".join("—" if v is None else f"{v:.0f}" for v in values) + " %")
        print(f"| {p_dog:g} / {p_car:g} | {w:g} | {name} | {len(runs)} | {recognised} | {' / '.join(kls)} "
              f"| {per_seed[0]} | {per_seed[1]} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: guidance_table.py METRICS.json...")
    main(sys.argv[1:])
