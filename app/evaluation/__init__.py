"""Accuracy of detection against ground truth: labels, metrics, baselines and sweeps.

labels     reads ground truth: generated `labels.csv` or the outside format
           (`labels.csv.gz` plus `cohorts.csv.gz`)
metrics    account-level precision/recall/F1, per-network recovery, cohort false positives
baselines  simple detectors over the same Evidence, to measure ours against
sweep      many randomized generated data sets, each in a throw-away managed Neo4j,
           with an Evidence cache so a re-run after a scoring change takes seconds
"""
