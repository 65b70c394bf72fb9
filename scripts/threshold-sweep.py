#!/usr/bin/env python3
"""What a decision threshold other than 1/2 on p(female) would do.

Reads `facegender classify --json` output for UTKFace photos (the product's
path: detection, aligned crop, calibrated model) and UTKFace's labels.csv,
applies models/label-corrections.csv, and prints accuracy (all ages and
18-59) and the adult race x gender groups' spread at each threshold.

Usage (the val split; DEVELOPERS.md's split rule, 1 = val, 0 = test):
  python3 scripts/threshold-sweep.py --split val > /tmp/val.txt   # the photo list
  xargs -a /tmp/val.txt -d '\\n' build/native/native-trainer/facegender classify \\
      --scene chip --json > /tmp/val.jsonl
  python3 scripts/threshold-sweep.py --classified /tmp/val.jsonl
"""
import argparse
import csv
import json
import sys
from pathlib import Path

RACES = ["White", "Black", "Asian", "Indian", "Others"]
SPLITS = {"test": 0, "val": 1}


def read_labels(labels_csv, corrections_csv):
    corrected = {r["sha256"]: r["label"] for r in csv.DictReader(open(corrections_csv))}
    faces = {}
    for r in csv.DictReader(open(labels_csv)):
        label = "female" if r["gender"] == "1" else "male"
        faces[str(Path(labels_csv).parent / r["path"])] = {
            "row": r,
            "label": corrected.get(r["sha256"], label),
            "age": int(r["age"]),
            "race": RACES[int(r["race"])] if r["race"] else "unknown",
        }
    return faces


def read_classified(path, faces):
    """(p_female, label, age, race) of each photo's largest face."""
    out = []
    for number, line in enumerate(open(path), 1):
        photo = json.loads(line)
        if photo["file"] not in faces:
            sys.exit(f"{path}:{number}: {photo['file']} is not in the labels file")
        if not photo.get("faces"):
            continue
        face = max(photo["faces"], key=lambda f: f["box"][2] * f["box"][3])
        truth = faces[photo["file"]]
        out.append((face["probabilities"]["female"], truth["label"], truth["age"], truth["race"]))
    return out


def row(data, threshold):
    def right(p, label):
        return (p >= threshold) == (label == "female")

    groups = {}
    for p, label, age, race in data:
        if age >= 18:
            g = groups.setdefault(f"{race} {label}", [0, 0])
            g[0] += right(p, label)
            g[1] += 1
    accuracy = {k: 100 * ok / n for k, (ok, n) in groups.items()}
    large = [a for k, a in accuracy.items() if groups[k][1] >= 100]
    working_age = [right(p, label) for p, label, age, _ in data if 18 <= age < 60]
    weakest = min(accuracy, key=accuracy.get)
    return (
        f"| {threshold:.2f} | {100 * sum(right(p, l) for p, l, _, _ in data) / len(data):.2f}% "
        f"| {100 * sum(working_age) / len(working_age):.2f}% "
        f"| {max(accuracy.values()) - min(accuracy.values()):.1f} | {max(large) - min(large):.1f} "
        f"| {weakest} {accuracy[weakest]:.1f}% |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", default="../shared/data/utkface/labels.csv")
    parser.add_argument("--corrections", default="models/label-corrections.csv")
    parser.add_argument("--split", choices=SPLITS, help="print the split's photo paths and stop")
    parser.add_argument("--classified", help="classify --json output for those photos")
    args = parser.parse_args()
    faces = read_labels(args.labels, args.corrections)
    if args.split:
        for path, face in faces.items():
            if int(face["row"]["sha256"][:8], 16) % 10 == SPLITS[args.split]:
                print(path)
        return
    if not args.classified:
        parser.error("give --split or --classified")
    data = read_classified(args.classified, faces)
    print(f"{len(data)} photos with a face\n")
    print("| threshold | all ages | 18-59 | gap, all groups | gap, groups >= 100 faces | weakest |")
    print("|---:|---:|---:|---:|---:|---|")
    for threshold in (0.5, 0.45, 0.4, 0.35, 0.3):
        print(row(data, threshold))


if __name__ == "__main__":
    main()
