"""Small server-side SVG drawings for the dossier: the network, activity by day and hour.

Plain SVG text (no browser, no JavaScript), so WeasyPrint draws it into the
PDF and the page can show the same picture. Layouts use a fixed seed: the
same case draws the same picture every time.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import networkx as nx
from markupsafe import Markup, escape

from app.kinds import CASE_KINDS

# Colours and legend names: accounts, a case's kinds (app/kinds.py), the "+N" node.
KIND_COLOURS = {"account": "#4a5a6a",
                **{name: kind.colour or "#999999" for name, kind in CASE_KINDS.items()},
                "more": "#bdc3c7"}
KIND_NAMES = {"account": "account", **{name: kind.noun for name, kind in CASE_KINDS.items()},
              "more": "accounts not drawn"}
# The drawing stays readable (and quick) whatever the case's size.
MAX_ENTITIES = 40
MAX_NODES = 300


def _fmt(n: float) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:.0f}"


def network_svg(members: list[dict[str, Any]], entities: list[dict[str, Any]],
                links: dict[str, list[str]], width: int = 760, height: int = 520) -> Markup:
    """Accounts and the infrastructure they share, as a force-directed picture.

    At most MAX_ENTITIES entities (the most shared) and MAX_NODES nodes in all;
    the accounts left out of an entity's neighbourhood become one "+N" node.
    """
    # Prefixes sit on top of their addresses and user agents are shared by
    # strangers too: the picture draws the rest.
    shown = sorted((e for e in entities if e.get("kind") not in ("user_agent", "prefix")),
                   key=lambda e: (-(e.get("accounts") or 0), e["kind"], e["key"]))[:MAX_ENTITIES]
    budget = max(0, MAX_NODES - 2 * len(shown))
    ranked = [m["account_id"] for m in sorted(
        members, key=lambda m: (-(m.get("score") or 0), m["account_id"]))]
    drawn = set(ranked[:budget])
    g: nx.Graph = nx.Graph()
    for e in shown:
        node = f"{e['kind']}|{e['key']}"
        g.add_node(node, kind=e["kind"], label=str(e["key"]), weight=e.get("accounts") or 0)
        hidden = 0
        for account in links.get(node, []):
            if account in drawn:
                g.add_node(account, kind="account", label=account, weight=1)
                g.add_edge(node, account)
            else:
                hidden += 1
        if hidden:
            more = f"more|{node}"
            g.add_node(more, kind="more", label=f"+{hidden}", weight=hidden)
            g.add_edge(node, more)
    for account in ranked[:budget]:
        if account not in g and len(g) < MAX_NODES:
            g.add_node(account, kind="account", label=account, weight=1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" class="network-graph" role="img" '
             f'aria-label="network graph">',
             f'<rect width="{width}" height="{height}" fill="#fbfbfc"/>']
    if len(g) == 0:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
                     f'font-size="14" fill="#5b6673">No shared infrastructure to draw.</text>')
        parts.append("</svg>")
        return Markup("".join(parts))
    pos = nx.spring_layout(g, seed=7, iterations=60, k=3.0 / max(1, len(g)) ** 0.5)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    pad, legend = 24, 34
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0

    def at(node: str) -> tuple[float, float]:
        x, y = pos[node]
        return (pad + (x - min(xs)) / span_x * (width - 2 * pad),
                pad + (y - min(ys)) / span_y * (height - 2 * pad - legend))

    # All edges as one path and all accounts as another: a few elements instead
    # of hundreds keeps the PDF quick to draw.
    edges = []
    for a, b in g.edges():
        (x1, y1), (x2, y2) = at(a), at(b)
        edges.append(f"M{x1:.1f} {y1:.1f}L{x2:.1f} {y2:.1f}")
    parts.append(f'<path d="{"".join(edges)}" stroke="#c9d0d8" stroke-width="0.6" '
                 f'fill="none"/>')
    dots = []
    for node in g.nodes:
        if g.nodes[node]["kind"] == "account":
            x, y = at(node)
            dots.append(f"M{x - 2.6:.1f} {y:.1f}a2.6 2.6 0 1 0 5.2 0a2.6 2.6 0 1 0 -5.2 0")
    if dots:
        parts.append(f'<path d="{"".join(dots)}" fill="{KIND_COLOURS["account"]}"/>')
    # Entities on top of accounts, labelled when they are among the most shared.
    order = [n for n in g.nodes if g.nodes[n]["kind"] != "account"]
    labelled = {f"{e['kind']}|{e['key']}" for e in shown[:8]}
    for node in order:
        data = g.nodes[node]
        x, y = at(node)
        kind = data["kind"]
        if kind == "account":
            continue
        radius = 4 + min(9, data["weight"] ** 0.5)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" '
                     f'fill="{KIND_COLOURS[kind]}" stroke="#fff" stroke-width="1"/>')
        if kind == "more" or node in labelled:
            label = data["label"] if len(data["label"]) <= 22 else data["label"][:20] + "…"
            parts.append(f'<text x="{x + radius + 2:.1f}" y="{y + 3:.1f}" font-size="8.5" '
                         f'fill="#1d232b">{escape(label)}</text>')
    kinds = ["account"] + sorted({g.nodes[n]["kind"] for n in g} - {"account"},
                                 key=list(KIND_COLOURS).index)
    x = pad
    y = height - 14
    for kind in kinds:
        parts.append(f'<circle cx="{x}" cy="{y - 3}" r="4" fill="{KIND_COLOURS[kind]}"/>'
                     f'<text x="{x + 7}" y="{y}" font-size="9" fill="#38424d">'
                     f'{escape(KIND_NAMES[kind])}</text>')
        x += 14 + 5.2 * len(KIND_NAMES[kind])
    parts.append("</svg>")
    return Markup("".join(parts))


def activity_svg(days: list[dict[str, Any]], signups: list[dict[str, Any]],
                 width: int = 760, height: int = 200) -> Markup:
    """Sessions per day as bars, with sign-ups per day as a line of dots above."""
    left, right, top, bottom = 44, 12, 14, 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" class="activity-chart" role="img" '
             f'aria-label="sessions per day">']
    # A true time axis over the days with sessions (quiet days included); sign-ups
    # long before the first session would only squash the picture.
    active = sorted(d["day"] for d in days)
    if active:
        first, last = date.fromisoformat(active[0]), date.fromisoformat(active[-1])
        all_days = [(first + timedelta(days=i)).isoformat()
                    for i in range((last - first).days + 1)]
    else:
        all_days = sorted(s["day"] for s in signups)
    if not all_days:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
                     f'font-size="13" fill="#5b6673">No sessions recorded.</text></svg>')
        return Markup("".join(parts))
    sessions = {d["day"]: d["sessions"] for d in days}
    joined = {s["day"]: s["accounts"] for s in signups if s["day"] in set(all_days)}
    peak = max(sessions.values(), default=0) or 1
    peak_joined = max(joined.values(), default=0) or 1
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / len(all_days)
    bar = max(1.0, step * 0.8)
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" '
                 f'y2="{top + plot_h}" stroke="#9aa4ae" stroke-width="0.8"/>')
    for frac in (0.5, 1.0):
        y = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'stroke="#e3e7eb" stroke-width="0.6"/>'
                     f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="8.5" text-anchor="end" '
                     f'fill="#5b6673">{_fmt(peak * frac)}</text>')
    for i, day in enumerate(all_days):
        x = left + i * step + (step - bar) / 2
        h = plot_h * sessions.get(day, 0) / peak
        if h:
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                         f'height="{h:.1f}" fill="#5b7fa6"/>')
        # Only real waves get a dot: a trickle of sign-ups is not news.
        if joined.get(day, 0) >= max(2, peak_joined / 4):
            r = 1.5 + 3.5 * (joined[day] / peak_joined) ** 0.5
            parts.append(f'<circle cx="{x + bar / 2:.1f}" cy="{top + 4:.1f}" r="{r:.1f}" '
                         f'fill="#c0392b" fill-opacity="0.75"/>')
    ticks = sorted({0, len(all_days) // 2, len(all_days) - 1})
    for i in ticks:
        x = left + i * step + step / 2
        anchor = "start" if i == 0 else "end" if i == len(all_days) - 1 else "middle"
        x = left if anchor == "start" else width - right if anchor == "end" else x
        parts.append(f'<text x="{x:.1f}" y="{height - 14}" font-size="8.5" '
                     f'text-anchor="{anchor}" fill="#5b6673">{escape(all_days[i])}</text>')
    parts.append(f'<rect x="{left}" y="{height - 9}" width="8" height="6" fill="#5b7fa6"/>'
                 f'<text x="{left + 11}" y="{height - 3}" font-size="8.5" fill="#38424d">'
                 f'sessions per day</text>'
                 f'<circle cx="{left + 110}" cy="{height - 6}" r="3" fill="#c0392b"/>'
                 f'<text x="{left + 116}" y="{height - 3}" font-size="8.5" fill="#38424d">'
                 f'sign-up wave (size: accounts)</text></svg>')
    return Markup("".join(parts))


def hours_svg(hours: list[int], width: int = 360, height: int = 130) -> Markup:
    """Sessions by UTC hour of day: a shift pattern shows as a block of bars."""
    left, bottom, top = 8, 18, 8
    plot_h = height - top - bottom
    peak = max(hours, default=0) or 1
    step = (width - 2 * left) / 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" class="hours-chart" role="img" '
             f'aria-label="sessions by hour">']
    for hour, count in enumerate(hours[:24]):
        h = plot_h * count / peak
        x = left + hour * step
        parts.append(f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" '
                     f'width="{step - 2:.1f}" height="{h:.1f}" fill="#7d8fa3"/>')
        if hour % 6 == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{height - 5}" font-size="8.5" '
                         f'text-anchor="middle" fill="#5b6673">{hour:02d}h</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
