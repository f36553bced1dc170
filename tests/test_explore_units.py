"""Pure read-side helpers of the pages: the graph picture."""

from __future__ import annotations

from app.graphview import network_picture


def test_network_picture_is_whole_when_small_and_collapses_when_large() -> None:
    accounts = [{"id": f"a{i}", "status": "banned" if i % 2 else "active"} for i in range(6)]
    entities = [{"kind": "address", "key": "10.0.0.1", "accounts": ["a0", "a1", "a2"]},
                {"kind": "device", "key": "dev-1", "accounts": ["a3", "a4"]}]
    small = network_picture(accounts, entities, max_nodes=50)
    assert not small["collapsed"]
    assert {n["id"] for n in small["nodes"]} >= {"account:a0", "address:10.0.0.1"}
    assert len(small["edges"]) == 5 and small["isolated"] == 1
    assert all(e["source"].startswith("account:") for e in small["edges"])

    many = [{"id": f"b{i}", "status": "active"} for i in range(2000)]
    shared = [{"kind": "address", "key": f"10.1.{i // 250}.{i % 250}",
               "accounts": [f"b{j}" for j in range(i * 3, i * 3 + 5)]} for i in range(600)]
    big = network_picture(many, shared, max_nodes=300)
    assert big["collapsed"] and big["accounts"] == 2000
    assert len(big["nodes"]) <= 301
    ids = {n["id"] for n in big["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in big["edges"])
    # Every account is still counted in some node.
    counted = sum(n["weight"] for n in big["nodes"] if n["type"] in ("account", "group"))
    assert counted == 2000
