"""The PDF dossier: Jinja2 HTML and CSS (templates/dossier/) drawn by WeasyPrint."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.cases.analysis import KIND_LABELS
from app.cases.markdown import render_note
from app.cases.model import STATUS_LABELS
from app.cases.view import case_view
from app.db.graph import Graph

# Named statements that built the case's content, shown in the appendix.
NETWORK_STATEMENTS = ("explore/network", "explore/network_members", "cases/run_provenance")
MEMBER_STATEMENTS = ("cases/account_facts", "cases/member_links", "cases/member_prefixes",
                     "cases/member_templates", "cases/member_activity")
# Rows of each pinned result printed (the JSON export holds them all).
PINNED_ROWS = 40
# Entities of one kind listed in the infrastructure section.
ENTITIES_PER_KIND = 25


@lru_cache(maxsize=4)
def environment(templates_dir: Path) -> Environment:
    env = Environment(loader=FileSystemLoader(templates_dir),
                      autoescape=select_autoescape(("html", "xml")))
    env.filters["note"] = render_note
    env.filters["num"] = lambda x: f"{x or 0:,}"
    env.filters["pct"] = lambda x: f"{(x or 0) * 100:.0f}%"
    return env


MEMBER_COLUMNS = (("Account", "<"), ("Status", "<"), ("Signed up", "<"), ("Plan", "<"),
                  ("Country", "<"), ("Sessions", ">"), ("Tokens", ">"), ("Reasoning", ">"),
                  ("Score", ">"))


def member_lines(members: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """The members table as aligned monospaced lines: a header and one line per account.

    One table cell per row keeps a dossier of thousands of accounts quick to
    lay out (WeasyPrint's cost grows with the number of cells).
    """
    rows = []
    for m in members:
        sessions = int(m.get("sessions") or 0)
        score = m.get("score")
        rows.append([
            str(m["account_id"]), str(m.get("status") or ""), str(m.get("created_at") or "")[:10],
            str(m.get("plan") or ""), str(m.get("country") or ""), f"{sessions:,}",
            f"{int(m.get('tokens') or 0):,}",
            f"{int(m.get('reasoning') or 0) / (sessions or 1) * 100:.0f}%",
            f"{score:.2f}" if isinstance(score, int | float) else ""])
    names = [name for name, _ in MEMBER_COLUMNS]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]

    def line(cells: list[str]) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, w, (_, a) in
                         zip(cells, widths, MEMBER_COLUMNS, strict=True)).rstrip()

    return line(names), [line(r) for r in rows]


def provenance_queries(graph: Graph, content: dict[str, Any]) -> list[dict[str, Any]]:
    """Every named statement behind the content, with its parameters."""
    case = content["case"]
    members = f"[the {len(content['members']):,} member account ids]"
    queries = []
    if case.get("network_id"):
        params = {"run_id": case["run_id"], "network_id": case["network_id"]}
        for name in NETWORK_STATEMENTS:
            extra = {"sort": "score", "direction": 1, "skip": 0,
                     "limit": len(content["members"])} if name.endswith("members") else {}
            queries.append({"name": name, "params": {**params, **extra},
                            "cypher": graph.statement(name)})
    for name in MEMBER_STATEMENTS:
        if name == "cases/account_facts" and case.get("network_id"):
            continue
        queries.append({"name": name, "params": {"account_ids": members},
                        "cypher": graph.statement(name)})
    return queries


def dossier_html(graph: Graph, content: dict[str, Any], digest: str, actor: str) -> str:
    """The dossier as one HTML document (also handy to look at in a browser)."""
    env = environment(graph.settings.templates_dir)
    view = case_view(graph, content)
    header, lines = member_lines(view["members"])
    return env.get_template("dossier/dossier.html").render(
        c=content, case=content["case"], member_header=header, member_lines=lines,
        summary=view["summary"],
        snapshot=content["snapshot"], network=content["snapshot"].get("network") or {},
        run=content["snapshot"].get("run") or {}, members=view["members"],
        entities_by_kind=view["entities_by_kind"], entities_per_kind=ENTITIES_PER_KIND,
        kind_labels=KIND_LABELS, status_labels=STATUS_LABELS, pinned_rows=PINNED_ROWS,
        graph_svg=view["graph_svg"], activity_svg=view["activity_svg"],
        hours_svg=view["hours_svg"], queries=provenance_queries(graph, content),
        digest=digest, exported_by=actor,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def render_pdf(graph: Graph, content: dict[str, Any], digest: str, actor: str) -> bytes:
    """The dossier as PDF bytes."""
    from weasyprint import HTML

    html = dossier_html(graph, content, digest, actor)
    base = graph.settings.templates_dir / "dossier"
    pdf = HTML(string=html, base_url=str(base)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
