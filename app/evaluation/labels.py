"""Ground truth, in the generator's format or the outside one.

Generated (``hydrascope generate``): ``labels.csv`` with
``account_id,label,network,cohort,camouflage``.

Outside (``../shared/outside/``): ``labels.csv.gz`` with ``account_id,label,network``
and a separate ``cohorts.csv.gz`` with ``account_id,cohort``, the cohort being the
benign cohort of a benign account or the camouflage kind of a hydra account's
network.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.errors import HydrascopeError

LABEL_FILES = ("labels.csv", "labels.csv.gz")
COHORT_FILES = ("cohorts.csv", "cohorts.csv.gz")


class LabelsError(HydrascopeError):
    """No ground truth, or ground truth that cannot be read."""


@dataclass
class Labels:
    """Per account: `hydra` or `benign`, the planted network, cohort and camouflage."""

    label: dict[str, str]
    network: dict[str, str]
    cohort: dict[str, str]
    camouflage: dict[str, str]

    def hydra(self) -> set[str]:
        return {a for a, lab in self.label.items() if lab == "hydra"}


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """The rows of a CSV file, plain or gzipped, that has the required columns."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or ())]
        if missing:
            raise LabelsError(f"{path}: no column {', '.join(missing)} "
                              f"(expected {','.join(required)})")
        yield from reader


def read_labels(path: Path, cohorts_path: Path | None = None) -> Labels:
    """Labels from one labels file (plain or gzipped), cohorts from `cohorts_path` when given.

    Without a cohort, a benign account's cohort is its label and a hydra account's
    camouflage is empty. With a separate cohorts file (the outside format), a hydra
    account's cohort is its network's camouflage kind.
    """
    labels = Labels({}, {}, {}, {})
    for row in _rows(path, ("account_id", "label")):
        account = row["account_id"]
        label = (row["label"] or "").strip().lower()
        if label not in ("hydra", "benign"):
            raise LabelsError(f"{path}: account {account} has label {row['label']!r} "
                              "(hydra or benign expected)")
        labels.label[account] = label
        labels.network[account] = row.get("network") or ""
        labels.cohort[account] = row.get("cohort") or label
        labels.camouflage[account] = row.get("camouflage") or ""
    if cohorts_path is not None:
        for row in _rows(cohorts_path, ("account_id", "cohort")):
            account, cohort = row["account_id"], row["cohort"] or ""
            if account not in labels.label or not cohort:
                continue
            labels.cohort[account] = cohort
            if labels.label[account] == "hydra" and not labels.camouflage[account]:
                labels.camouflage[account] = cohort
    return labels


def find_labels(data_dir: Path) -> tuple[Path, Path | None]:
    """The labels file of a data set and its separate cohorts file (if any)."""
    labels_path = next((data_dir / name for name in LABEL_FILES
                        if (data_dir / name).is_file()), None)
    if labels_path is None:
        raise LabelsError(
            f"no ground truth in {data_dir}: evaluate needs labels.csv (hydrascope generate) "
            "or labels.csv.gz with cohorts.csv.gz (account_id,label,network and "
            "account_id,cohort)")
    cohorts_path = next((data_dir / name for name in COHORT_FILES
                         if (data_dir / name).is_file()), None)
    return labels_path, cohorts_path


def load_labels(data_dir: Path) -> Labels:
    """The ground truth of a data set directory, in either format."""
    labels_path, cohorts_path = find_labels(data_dir)
    return read_labels(labels_path, cohorts_path)
