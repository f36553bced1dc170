"""One data set's evaluation: our detector's output read back, and the baselines'.

Our output (account -> group, flagged accounts) comes either from the graph a
detection run wrote, or straight from `app.detect.run.analyse` on cached
Evidence; both give the same figures for the same Evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.db.graph import Graph
from app.detect.evidence import Evidence
from app.detect.run import Analysis, DetectParams, DetectResult, latest_assignments
from app.errors import HydrascopeError
from app.evaluation.baselines import BASELINES
from app.evaluation.labels import Labels
from app.evaluation.metrics import Report, evaluate

Output = tuple[dict[str, str], set[str]]


class EvaluationError(HydrascopeError):
    """A data set cannot be evaluated as asked."""


def ours_name(params: DetectParams) -> str:
    return f"hydrascope ({params.algorithm}, resolution {params.resolution})"


def output_from_graph(graph: Graph) -> Output:
    """Groups and flags of the latest detection run in the graph."""
    flagged = {r["account_id"] for r in latest_assignments(graph) if r["flagged"]}
    group_of = {r["account_id"]: r["network_id"] for r in graph.read("detect/latest_memberships")}
    return group_of, flagged


def output_from_analysis(analysis: Analysis) -> Output:
    """Groups and flags as `run_detection` would write them: one group per scored
    community, an account flagged when its per-account flag is."""
    ids = analysis.evidence.account_ids
    group_of = {ids[m]: f"g{number}" for number, community in enumerate(analysis.scored)
                for m in community.members}
    flagged = {ids[m] for m, (_score, flag) in analysis.per_account.items() if flag}
    return group_of, flagged


def baseline_outputs(evidence: Evidence,
                     say: Callable[[str], None] = lambda _m: None) -> dict[str, Output]:
    """Every baseline's output on this Evidence, by short key."""
    outputs = {}
    for key, _title, detect in BASELINES:
        say(f"baseline {key}...")
        outputs[key] = detect(evidence)
    return outputs


def reports_for(labels: Labels, ours: tuple[str, Output],
                baselines: dict[str, Output] | None = None) -> list[Report]:
    """Our report first, then one per baseline (in BASELINES order)."""
    name, (group_of, flagged) = ours
    reports = [evaluate(name, labels, group_of, flagged, key="ours")]
    titles = {key: title for key, title, _detect in BASELINES}
    for key, (groups, flags) in (baselines or {}).items():
        reports.append(evaluate(titles.get(key, key), labels, groups, flags, key=key))
    return reports


def evaluate_directory(graph: Graph, data_dir: Path, labels: Labels, params: DetectParams,
                       rejects: Path, reset: bool = False, baselines: bool = True,
                       progress: bool | None = None, say: Callable[[str], None] = lambda _m: None
                       ) -> tuple[DetectResult, list[Report]]:
    """Load a data set into an empty graph (the bulk path on the managed server), detect,
    and score ours and the baselines against its labels."""
    from app.db.migrations import clear_graph
    from app.detect.evidence import read_evidence
    from app.detect.run import run_detection
    from app.ingest import load_directory

    if graph.read("db/any_account"):
        if not reset:
            raise EvaluationError("the graph already holds accounts: evaluate loads into an "
                                  "empty graph (add --reset to empty it first)")
        clear_graph(graph)
    # The graph is empty here: the managed server takes the bulk path.
    load_directory(graph, data_dir, rejects, progress=progress, bulk=graph.settings.managed)
    result = run_detection(graph, params, say=say)
    ours = output_from_graph(graph)
    outputs = baseline_outputs(read_evidence(graph), say) if baselines else {}
    return result, reports_for(labels, (ours_name(params), ours), outputs)
