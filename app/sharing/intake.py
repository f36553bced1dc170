"""What partners share, taken in: a bundle read and checked whole, its indicators
stored (`:PartnerIndicator`, the latest version of each) and matched against
the evidence graph, and an `indicator_match` alert when our accounts use what
a partner reported.

Matching: addresses, prefixes, autonomous systems, user agents, e-mail domains
and devices named in clear by their value; payment tokens, devices and
e-mail domains sent as keyed hashes by hashing ours the same way under the
collection's key; prompt templates by SimHash within the detector's distance.
A bundle that fails validation imports nothing.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import stix2
from stix2.exceptions import STIXError
from stix2patterns.validator import validate as validate_pattern

from app.alerts import new_alert, store_all
from app.audit import record
from app.db.graph import Graph
from app.detect.templates import MAX_DISTANCE, bands
from app.sharing.stix import CUSTOM_TYPES, keyed_hash

MAX_BUNDLE_BYTES = 200_000_000
# The kinds a partner's indicator can match in our graph (sharing/write_matches).
MATCHED_KINDS = ("ip", "prefix", "asn", "user_agent", "email_domain", "device", "payment",
                 "template")
WRITE_CHUNK = 5000
MATCH_CHUNK = 20000  # matches are small rows: fewer, larger transactions
ALERT_ACCOUNTS = 500
SENTENCES = 5
BUCKET_LIMIT = 5000
SIMHASH_BLOCK = 1000

_HASHED_TYPES = {CUSTOM_TYPES[k]: k for k in ("payment", "device", "email_domain")}
_VALUE = r"'((?:[^'\\]|\\.)*)'"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^\[ipv[46]-addr:value = {_VALUE}\]$"), "ip"),
    (re.compile(rf"^\[ipv[46]-addr:value ISSUBSET {_VALUE}\]$"), "prefix"),
    (re.compile(r"^\[autonomous-system:number = (\d+)\]$"), "asn"),
    (re.compile(rf"^\[domain-name:value = {_VALUE}\]$"), "email_domain"),
    (re.compile(r"^\[network-traffic:extensions\.'http-request-ext'\.request_header\."
                rf"'User-Agent' = {_VALUE}\]$"), "user_agent"),
    (re.compile(rf"^\[x-hydrascope-prompt-template:simhash = {_VALUE}\]$"), "template"),
    (re.compile(rf"^\[x-hydrascope-device:fingerprint = {_VALUE}\]$"), "device"),
    # Named, not matched: a provider is no entity of our graph (its addresses are).
    (re.compile(rf"^\[x-hydrascope-proxy-provider:name = {_VALUE}\]$"), "proxy_provider"),
    (re.compile(r"^\[(x-hydrascope-(?:payment|device|email-domain)):hmac_sha256 = "
                r"'([0-9a-f]{64})'\]$"), "hashed"),
]


class BundleError(ValueError):
    """A bundle that cannot be imported; nothing of it was."""


@dataclass
class Intake:
    source: str
    indicators: int = 0
    changed: int = 0
    revoked: int = 0
    unmatched_kinds: int = 0
    matched: dict[str, int] = field(default_factory=dict)  # kind -> indicators matched
    accounts: int = 0
    alert_id: str | None = None
    # A pull: what it read, and the date_added it read after (None: the whole collection).
    objects_read: int = 0
    added_after: str | None = None


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def parse_pattern(pattern: str) -> tuple[str, str, bool] | None:
    """(kind, value, hashed) of a pattern naming one entity of a kind we hold, else None."""
    for regex, kind in _PATTERNS:
        found = regex.match(pattern.strip())
        if found is None:
            continue
        if kind == "hashed":
            return _HASHED_TYPES[found.group(1)], found.group(2), True
        value = _unescape(found.group(1))
        try:
            if kind == "ip" and "/" in value:
                kind = "prefix"
            if kind == "ip":
                value = ipaddress.ip_address(value).compressed
            elif kind == "prefix":
                value = ipaddress.ip_network(value, strict=False).compressed
        except ValueError:
            return None
        if kind == "template" and not re.fullmatch(r"[0-9a-fA-F]{16}", value):
            return None
        return kind, value.lower() if kind in ("email_domain", "template") else value, False
    return None


def read_bundle(data: bytes, where: str) -> list[dict[str, Any]]:
    """The objects of a STIX 2.1 bundle, each checked; `BundleError` names the first
    problem (and where), and then nothing is imported."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError(f"{where}: larger than {MAX_BUNDLE_BYTES:,} bytes")
    try:
        bundle = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"{where}: not JSON ({exc})") from None
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle" or not isinstance(
            bundle.get("objects", []), list):
        raise BundleError(f"{where}: not a STIX bundle (a JSON object of type 'bundle' "
                          "with a list of objects)")
    objects = bundle.get("objects", [])
    check_objects(objects, where)
    return objects


def check_objects(objects: list[Any], where: str) -> None:
    """Check every object as STIX 2.1; the first that is not raises `BundleError`.

    Indicators, nearly all of a partner's feed, are checked here against the
    specification's properties and their patterns parsed (a pattern of a form
    `parse_pattern` reads is valid by its construction; any other goes through
    the OASIS pattern validator); every other object goes through the stix2
    library whole. Both refuse unknown types and properties.
    """
    for number, obj in enumerate(objects, 1):
        ident = obj.get("id", "?") if isinstance(obj, dict) else "?"
        try:
            if not isinstance(obj, dict):
                raise BundleError("not a JSON object")
            if obj.get("spec_version") != "2.1":
                raise BundleError(f"spec_version {obj.get('spec_version')!r}, not '2.1'")
            if obj.get("type") == "indicator":
                _check_indicator(obj)
            else:
                stix2.parse(obj, allow_custom=False, version="2.1")
        except (STIXError, BundleError, ValueError, TypeError, KeyError) as exc:
            reason = " ".join(str(exc).split())[:300]
            raise BundleError(f"{where}: object {number} ({str(ident)[:80]}) is not valid "
                              f"STIX 2.1: {reason}") from None


_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
_INDICATOR_ID = re.compile(r"^indicator--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                           r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_IDENTITY_REF = re.compile(_INDICATOR_ID.pattern.replace("indicator--", "identity--"))
_INDICATOR_PROPERTIES = frozenset((
    "type", "spec_version", "id", "created_by_ref", "created", "modified", "revoked", "labels",
    "confidence", "lang", "external_references", "object_marking_refs", "granular_markings",
    "extensions", "name", "description", "indicator_types", "pattern", "pattern_type",
    "pattern_version", "valid_from", "valid_until", "kill_chain_phases"))


def _check_indicator(obj: dict[str, Any]) -> None:
    """An indicator as STIX 2.1 defines it (raises BundleError with the reason)."""
    unknown = sorted(set(obj) - _INDICATOR_PROPERTIES)
    if unknown:
        raise BundleError(f"unexpected properties: {', '.join(unknown[:5])}")
    if not _INDICATOR_ID.match(str(obj.get("id", ""))):
        raise BundleError("id must be indicator--<UUID>")
    for name in ("created", "modified", "valid_from"):
        if not _TIMESTAMP.match(str(obj.get(name, ""))):
            raise BundleError(f"{name} must be a UTC timestamp such as 2026-03-04T05:06:07Z")
    if obj["modified"] < obj["created"]:
        raise BundleError("modified is before created")
    if "valid_until" in obj and not (_TIMESTAMP.match(str(obj["valid_until"])) and
                                     obj["valid_until"] > obj["valid_from"]):
        raise BundleError("valid_until must be a timestamp after valid_from")
    if "created_by_ref" in obj and not _IDENTITY_REF.match(str(obj["created_by_ref"])):
        raise BundleError("created_by_ref must be identity--<UUID>")
    confidence = obj.get("confidence", 0)
    if not isinstance(confidence, int) or isinstance(confidence, bool) or \
            not 0 <= confidence <= 100:
        raise BundleError("confidence must be a whole number from 0 to 100")
    if not isinstance(obj.get("revoked", False), bool):
        raise BundleError("revoked must be true or false")
    for name in ("labels", "indicator_types"):
        if name in obj and not (isinstance(obj[name], list) and
                                all(isinstance(v, str) for v in obj[name])):
            raise BundleError(f"{name} must be a list of strings")
    for name in ("name", "description", "pattern_type", "pattern_version", "lang"):
        if name in obj and not isinstance(obj[name], str):
            raise BundleError(f"{name} must be a string")
    pattern = obj.get("pattern")
    if not isinstance(pattern, str) or not isinstance(obj.get("pattern_type"), str):
        raise BundleError("an indicator needs a pattern and its pattern_type")
    if obj["pattern_type"] == "stix" and parse_pattern(pattern) is None:
        errors = validate_pattern(pattern, ret_errs=True, print_errs=False)
        if not errors[0]:
            raise BundleError(f"pattern {pattern[:80]!r}: {'; '.join(errors[1])[:200]}")
    other = {k: obj[k] for k in ("external_references", "object_marking_refs",
                                 "granular_markings", "kill_chain_phases", "extensions")
             if k in obj}
    if other:
        # Rare in a feed: the library checks these parts whole.
        stix2.parse(obj, allow_custom=False, version="2.1")


def indicator_rows(objects: list[dict[str, Any]], default_source: str,
                   collection: str, complete: bool = True) -> list[dict[str, Any]]:
    """One row per indicator: its pattern read, its source (the producer's identity
    name), the network it indicates, its confidence and validity. The network of
    an indicator whose relationship is not among the objects is none when they
    are a whole bundle or collection, and unknown (None: the stored one stays)
    when they are what was added since a previous pull."""
    names = {o["id"]: o.get("name", "") for o in objects
             if o.get("type") in ("identity", "intrusion-set")}
    indicates: dict[str, str] = {}
    for o in objects:
        if o.get("type") == "relationship" and o.get("relationship_type") == "indicates":
            indicates[o["source_ref"]] = names.get(o["target_ref"], "")
    rows = []
    for o in objects:
        if o.get("type") != "indicator":
            continue
        parsed = parse_pattern(o.get("pattern", "")) if o.get("pattern_type") == "stix" \
            else None
        kind, value, hashed = parsed if parsed else ("other", "", False)
        network = indicates.get(o["id"], "" if complete else None)
        rows.append({"indicator_id": o["id"], "version": o.get("modified", o.get("created")),
                     "network": None if network is None else network[:300],
                     "props": {
                         "source": names.get(o.get("created_by_ref", "")) or default_source,
                         "collection": collection, "kind": kind, "value": value,
                         "hashed": hashed, "pattern": o.get("pattern", "")[:2000],
                         "name": str(o.get("name", ""))[:300],
                         "description": str(o.get("description", ""))[:2000],
                         "confidence": o.get("confidence"),
                         "valid_from": o.get("valid_from"),
                         "valid_until": o.get("valid_until"),
                         "revoked": bool(o.get("revoked"))}})
    return rows


def import_objects(graph: Graph, objects: list[dict[str, Any]], *, source: str,
                   collection: str, key: bytes | None, actor: str,
                   origin: str = "", complete: bool = True) -> Intake:
    """Store a checked bundle's indicators, match the new and changed ones, alert."""
    newest: dict[str, dict[str, Any]] = {}
    for row in indicator_rows(objects, source, collection, complete):
        # One row per indicator: a bundle may hold several versions of one.
        held = newest.get(row["indicator_id"])
        if held is None or str(row["version"]) > str(held["version"]):
            newest[row["indicator_id"]] = row
    rows = list(newest.values())
    producers = {r["props"]["source"] for r in rows}
    # A bundle of one producer is named after it (its identity), not after the file.
    source = producers.pop() if len(producers) == 1 else source
    intake = Intake(source, indicators=len(rows))
    changed: list[str] = []
    replaced: list[str] = []
    for start in range(0, len(rows), WRITE_CHUNK):
        written = graph.write("sharing/upsert_indicators",
                              rows=rows[start:start + WRITE_CHUNK])[0]
        changed += written["changed"]
        replaced += written["replaced"]
    intake.changed = len(changed)
    by_id = {r["indicator_id"]: r for r in rows}
    fresh = [by_id[i] for i in changed]
    # Only indicators stored before can have matches to take back.
    for start in range(0, len(replaced), WRITE_CHUNK):
        graph.write("sharing/clear_matches", ids=replaced[start:start + WRITE_CHUNK])
    live = [r for r in fresh if not r["props"]["revoked"]]
    intake.revoked = len(fresh) - len(live)
    intake.unmatched_kinds = sum(1 for r in live if r["props"]["kind"] not in MATCHED_KINDS)
    matches = match_rows(graph, live, key)
    for start in range(0, len(matches), MATCH_CHUNK):
        chunk = matches[start:start + MATCH_CHUNK]
        graph.write("sharing/write_matches", **{kind: [m for m in chunk if m["kind"] == kind]
                                                for kind in MATCHED_KINDS})
    matched_ids = sorted({m["indicator_id"] for m in matches})
    kinds: dict[str, int] = defaultdict(int)
    for i in matched_ids:
        kinds[by_id[i]["props"]["kind"]] += 1
    intake.matched = dict(kinds)
    intake.alert_id, intake.accounts = _alert(graph, source, matched_ids)
    record(graph, actor, "intel.import", target=source, source=origin,
           details={"collection": collection, "indicators": intake.indicators,
                    "changed": intake.changed, "revoked": intake.revoked,
                    "matched": intake.matched, "alert": intake.alert_id})
    return intake


def match_rows(graph: Graph, rows: list[dict[str, Any]], key: bytes | None
               ) -> list[dict[str, Any]]:
    """(indicator, kind, our key, how, distance) for every match of the rows."""
    out: list[dict[str, Any]] = []
    hashed: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    templates: list[tuple[str, int]] = []
    for r in rows:
        props = r["props"]
        if props["kind"] not in MATCHED_KINDS:
            continue
        if props["hashed"]:
            hashed[props["kind"]][props["value"]].append(r["indicator_id"])
        elif props["kind"] == "template":
            templates.append((r["indicator_id"], int(props["value"], 16)))
        else:
            out.append({"indicator_id": r["indicator_id"], "kind": props["kind"],
                        "key": props["value"], "how": "exact", "distance": 0})
    if key:
        for kind, wanted in hashed.items():
            for ours in _keys(graph, kind):
                for indicator_id in wanted.get(keyed_hash(key, kind, ours), ()):
                    out.append({"indicator_id": indicator_id, "kind": kind, "key": ours,
                                "how": "keyed hash", "distance": 0})
    if templates:
        out += _simhash_matches(templates, _keys(graph, "template"))
    return out


# Every key of a kind matched by hash or SimHash, one statement each.
KEY_STATEMENTS = {"payment": "sharing/keys_payment", "device": "sharing/keys_device",
                  "email_domain": "sharing/keys_email_domain",
                  "template": "sharing/keys_template"}


def _keys(graph: Graph, kind: str) -> list[str]:
    return [str(key) for key in graph.read(KEY_STATEMENTS[kind])[0]["keys"]]


def _simhash_matches(templates: list[tuple[str, int]], ours: list[str]
                     ) -> list[dict[str, Any]]:
    """Our templates within MAX_DISTANCE bits of the reported SimHash values,
    found as the detector finds a family's variants: candidates agree exactly on
    one of six bands of the fingerprint (three contiguous, three interleaved),
    then the whole distance is checked. Millions of our templates are searched
    in sorted arrays, not compared one by one.

    A partner reports a family's variants, as we hold them: a few thousand
    reported templates can be within reach of a hundred thousand of ours, each
    of ours of several reports. What is linked is what an investigator reads:
    each of our templates to its nearest report, and each report within reach
    of ours, none of which it is the nearest of, to its own nearest of ours."""
    if not ours or not templates:
        return []
    values = np.array([int(k, 16) for k in ours], dtype=np.uint64)
    reported = np.array([t for _i, t in templates], dtype=np.uint64)
    found_ours: list[np.ndarray] = []
    found_rows: list[np.ndarray] = []
    for band_ours, band_reported in zip(bands(values), bands(reported), strict=True):
        order = np.argsort(band_ours, kind="stable")
        ranked = band_ours[order]
        # Reports a block at a time: a block's candidates are held at once.
        for block in range(0, len(reported), SIMHASH_BLOCK):
            wanted = band_reported[block:block + SIMHASH_BLOCK]
            lo = np.searchsorted(ranked, wanted, side="left")
            # A band value shared by very many of ours (a degenerate prompt) is
            # read for its first BUCKET_LIMIT only.
            hi = np.minimum(np.searchsorted(ranked, wanted, side="right"), lo + BUCKET_LIMIT)
            counts = hi - lo
            owner = block + np.repeat(np.arange(len(wanted)), counts)
            # Positions lo..hi-1 of each report, all reports at once.
            first = np.repeat(lo - np.cumsum(counts) + counts, counts)
            candidate = order[first + np.arange(int(counts.sum()))]
            near = np.bitwise_count(values[candidate] ^ reported[owner]) <= MAX_DISTANCE
            found_ours.append(candidate[near])
            found_rows.append(owner[near])
    # Each pair once (several bands can find it), nearest first, ties by the
    # report's place, then ours.
    pair = np.unique(np.concatenate(found_rows).astype(np.int64) * len(values)
                     + np.concatenate(found_ours))
    rows, index = pair // len(values), pair % len(values)
    bits = np.bitwise_count(values[index] ^ reported[rows])
    order = np.lexsort((index, rows, bits))
    rows, index, bits = rows[order], index[order], bits[order]
    _kept, first = np.unique(index, return_index=True)
    linked = np.zeros(len(rows), dtype=bool)
    linked[first] = True
    alone = ~np.isin(rows, rows[linked])
    _kept, first_alone = np.unique(rows[alone], return_index=True)
    linked[np.flatnonzero(alone)[first_alone]] = True
    chosen = np.flatnonzero(linked)
    chosen = chosen[np.lexsort((index[chosen], rows[chosen]))]
    return [{"indicator_id": templates[row][0], "kind": "template", "key": ours[i],
             "how": "SimHash", "distance": int(b)}
            for row, i, b in zip(rows[chosen].tolist(), index[chosen].tolist(),
                                 bits[chosen].tolist(), strict=True)]


def _alert(graph: Graph, source: str, matched_ids: list[str]) -> tuple[str | None, int]:
    """One `indicator_match` alert naming our accounts on what the partner reported."""
    if not matched_ids:
        return None, 0
    rows = graph.read("sharing/matched_accounts", ids=matched_ids)
    accounts = sorted({a for r in rows for a in r["accounts"]})
    if not accounts:
        return None, 0
    rows.sort(key=lambda r: (-len(r["accounts"]), r["indicator_id"]))
    evidence = [_sentence(r) for r in rows[:SENTENCES]]
    if len(rows) > SENTENCES:
        evidence.append(f"and {len(rows) - SENTENCES} more indicators of {source} matched")
    alert = new_alert("indicator_match", None, accounts[:ALERT_ACCOUNTS], evidence,
                      f"partner {source}", None)
    store_all(graph, [alert], [("partner", source)])
    return alert.alert_id, len(accounts)


def _sentence(row: dict[str, Any]) -> str:
    what = {"ip": "address", "prefix": "prefix", "asn": "autonomous system",
            "user_agent": "user agent", "email_domain": "e-mail domain", "device": "device",
            "payment": "payment token", "template": "prompt template"}.get(row["kind"],
                                                                            row["kind"])
    value = "(keyed hash)" if row["hashed"] else row["value"]
    confidence = f", confidence {row['confidence']}" if row["confidence"] is not None else ""
    since = f", valid from {str(row['valid_from'])[:10]}" if row["valid_from"] else ""
    n = len(row["accounts"])
    return (f"{row['source']} reports {what} {value}{confidence}{since}: used by "
            f"{n}{'+' if n >= 50 else ''} of our accounts")


def import_bundle(graph: Graph, data: bytes, where: str, *, key: bytes | None, actor: str,
                  source: str = "", origin: str = "") -> Intake:
    """Import a bundle sent as a file (e-mail, a portal); checked whole first."""
    objects = read_bundle(data, where)
    return import_objects(graph, objects, source=source or where, collection="file",
                          key=key, actor=actor, origin=origin)


def pull(graph: Graph, url: str, collection_id: str, *, key: bytes | None, actor: str,
         token: str | None = None, user: str | None = None, password: str | None = None,
         per_request: int = 1000, origin: str = "", full: bool = False) -> Intake:
    """Pull a partner's TAXII 2.1 collection (every object's latest version), check
    it whole, import it. `url` is the server's discovery URL or an API root.

    A pull reads only what the server added after the last date_added it reported
    to the previous pull of the same collection (`X-TAXII-Date-Added-Last`),
    unless `full`; the identities and intrusion sets those objects name but that
    came earlier are read by id, so sources and networks keep their names. Where
    a pull got to is saved only once its import is done."""
    import requests
    from taxii2client.common import TokenAuth, _HTTPConnection
    from taxii2client.exceptions import TAXIIServiceException
    from taxii2client.v21 import ApiRoot, Server, as_pages

    conn = _HTTPConnection(user, password, version="2.1",
                           auth=TokenAuth(token) if token else None)
    added_last: list[str] = []

    def note_added_last(response: requests.Response, *_a: Any, **_k: Any) -> None:
        if response.headers.get("X-TAXII-Date-Added-Last"):
            added_last.append(response.headers["X-TAXII-Date-Added-Last"])

    conn.session.hooks["response"].append(note_added_last)
    try:
        try:
            # taxii2-client gives a server's API roots connections of their own,
            # without the hook: ours are made on our connection.
            roots = [ApiRoot(root.url, conn=conn) for root in Server(url, conn=conn).api_roots]
        except (TAXIIServiceException, requests.HTTPError, ValueError, KeyError):
            roots = []
        roots = roots or [ApiRoot(url, conn=conn)]
        found = None
        for root in roots:
            for collection in root.collections:
                if collection.id == collection_id:
                    found = collection
        if found is None:
            raise BundleError(f"{url} has no collection {collection_id} that these "
                              "credentials may read")
        state = graph.read("sharing/pull_state", url=found.objects_url)
        since = None if full or not state else state[0]["added_last"]
        filters = {"added_after": since} if since else {}
        objects: list[dict[str, Any]] = []
        for envelope in as_pages(found.get_objects, per_request=per_request, **filters):
            objects += envelope.get("objects", [])
        read, reached = len(objects), max(added_last, default=None)
        if since:
            objects += _named_earlier(found, objects, per_request)
    except requests.RequestException as exc:
        raise BundleError(f"{url}: {' '.join(str(exc).split())[:300]}") from None
    except TAXIIServiceException as exc:
        raise BundleError(f"{url}: {' '.join(str(exc).split())[:300]}") from None
    finally:
        conn.close()
    check_objects(objects, f"{url} collection {collection_id}")
    host = url.split("//", 1)[-1].split("/", 1)[0]
    intake = import_objects(graph, objects, source=host, collection=collection_id, key=key,
                            actor=actor, origin=origin, complete=since is None)
    intake.objects_read, intake.added_after = read, since
    if reached:
        graph.write("sharing/save_pull_state", url=found.objects_url, added_last=reached)
    return intake


def _named_earlier(collection: Any, objects: list[dict[str, Any]],
                   per_request: int) -> list[dict[str, Any]]:
    """The identities (producers) and intrusion sets (networks) that objects added
    since a previous pull name but that are not among them, read by id."""
    from taxii2client.v21 import as_pages

    held = {o.get("id") for o in objects}
    wanted = {o.get("created_by_ref") for o in objects if o.get("type") == "indicator"}
    wanted |= {o.get("target_ref") for o in objects
               if o.get("type") == "relationship" and o.get("relationship_type") == "indicates"}
    ids = sorted(str(w) for w in wanted - held if w)
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), 100):
        for envelope in as_pages(collection.get_objects, per_request=per_request,
                                 id=ids[start:start + 100]):
            found += envelope.get("objects", [])
    return found
