#!/usr/bin/env python3
"""per_run.py METRICS.json... — one Markdown row per evaluation (hd summarize gives the
mean and spread over runs; this lists each run, for the README's per-seed figures).

Standard library only. Columns: the run's folder, model, image size, training steps and
minutes (from the checkpoint), then per z2 (animal / vehicle) the classifier's recognised
share, its KL(p_data || p_model) over the recognised samples, the students' KL (Part 5) and
the share of recognised samples whose nearest reference (Part 3) names the classifier's mode.
"""
import json
import sys


def pair(m, get, fmt):
    values = []
    for z2 in ("animal", "vehicle"):
        value = get(m["per_z2"][z2])
        values.append("—" if value is None else fmt.format(value))
    return " / ".join(values)


def main(paths):
    print("| run | model | size | steps | minutes | recognised | classifier KL | students' KL | nearest reference agrees |")
    print("|---|---|---|---|---|---|---|---|---|")
    for path in paths:
        with open(path) as f:
            m = json.load(f)
        run = path.rsplit("/metrics.json", 1)[0]
        model = "A" if m["model_kind"] == "flat" else "B"
        c = lambda e: e["classifier"]
        print(f"| {run} | {model} | {m['image_size']} | {m['trained_steps']} | {m['trained_seconds'] / 60:.1f} "
              f"| {pair(m, lambda e: 100 * c(e)['recognisable_share'], '{:.1f} %')} "
              f"| {pair(m, lambda e: c(e).get('kl_nats'), '{:.3f}')} "
              f"| {pair(m, lambda e: e['kl_nats'], '{:.3f}')} "
              f"| {pair(m, lambda e: 100 * c(e)['students_agreement'] if 'kl_nats' in c(e) else None, '{:.0f} %')} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: per_run.py METRICS.json...")
    main(sys.argv[1:])
