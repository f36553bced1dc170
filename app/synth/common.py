"""What the synthetic generators share: vocabularies, ids, addresses, the intel feed, writing.

Both generators (the fixed-level one in ``generator.py`` and the randomized
one in ``randomized.py``) subclass ``Synth``: it owns the random stream, the
ids handed out so far, what the IP-intelligence feed knows, and the loop
that writes accounts, sessions, ``labels.csv`` and ``ip_intel`` through
``TableWriter`` in the contract's columns.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.ingest.contract import ACCOUNTS, IP_INTEL, SESSIONS
from app.synth.tables import TableWriter

WINDOW_START = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW_DAYS = 90
WINDOW_END = WINDOW_START + timedelta(days=WINDOW_DAYS)
CATEGORIES = ("coding", "math", "reasoning", "chat", "writing", "science", "politics",
              "translation", "business")
BENIGN_CATEGORY_WEIGHTS = (25, 8, 4, 30, 14, 6, 3, 6, 4)
BROWSER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_{m}) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.{m} Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{m} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel {m}) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Mobile Safari/537.36",
)
MOBILE_AGENTS = BROWSER_AGENTS[3:]
SCRIPTED_AGENTS = ("python-httpx/0.27.0", "python-requests/2.32.3", "node-fetch/1.0",
                   "OpenAI/Python 1.40.0", "aiohttp/3.9.5", "Go-http-client/2.0")
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com", "qq.com",
             "163.com", "gmx.de", "mail.ru", "hotmail.com")
TEMP_MAIL = ("mail-temp.xyz", "tmpbox.net", "quickinbox.io", "burnermail.cc", "10min.email")
COUNTRIES = ("US", "GB", "DE", "FR", "IN", "BR", "JP", "KR", "SG", "CA", "AU", "NL", "ES",
             "IT", "MX", "PL", "SE", "TR", "ID", "VN")
# Hours from UTC of each country's main time zone (winter time, as in the window).
UTC_OFFSET = {"US": -5.0, "GB": 0.0, "DE": 1.0, "FR": 1.0, "IN": 5.5, "BR": -3.0, "JP": 9.0,
              "KR": 9.0, "SG": 8.0, "CA": -5.0, "AU": 11.0, "NL": 1.0, "ES": 1.0, "IT": 1.0,
              "MX": -6.0, "PL": 1.0, "SE": 1.0, "TR": 3.0, "ID": 7.0, "VN": 7.0}
MODELS = ("chat-large", "chat-small", "reasoner-xl")
LABEL_COLUMNS = ("account_id", "label", "network", "cohort", "camouflage")


class Synth:
    """The random stream, ids, addresses and intel feed of one data set, and its writer.

    A subclass plans the accounts (``plan``), turns each plan into its account
    row, its ground-truth label and its sessions (``account``), and lists its
    planted networks in ``networks``.
    """

    networks: list[Any]

    def __init__(self, seed: int):
        self.seed = seed
        self.rng = random.Random(seed)
        self.intel: dict[str, dict[str, Any]] = {}
        self._ids: set[str] = set()
        self._asn_of_block: dict[str, tuple[int, str]] = {}

    # -- identifiers and addresses -------------------------------------------

    def new_id(self, prefix: str, digits: int = 10) -> str:
        while True:
            value = f"{prefix}{self.rng.getrandbits(4 * digits):0{digits}x}"
            if value not in self._ids:
                self._ids.add(value)
                return value

    def public_ipv4(self) -> str:
        while True:
            a = self.rng.randint(1, 223)
            if a in (10, 127, 169, 172, 192, 100, 198, 203):
                continue
            return f"{a}.{self.rng.randint(0, 255)}.{self.rng.randint(0, 255)}." \
                   f"{self.rng.randint(1, 254)}"

    def ipv6(self) -> str:
        groups = [f"{self.rng.getrandbits(16):x}" for _ in range(5)]
        return f"2a0{self.rng.randint(0, 9)}:" + ":".join(groups) + "::" + \
            f"{self.rng.getrandbits(16):x}"

    def block_of(self, ip: str) -> tuple[int, str]:
        """An AS per /16 block, so neighbouring addresses share an ISP."""
        block = ".".join(ip.split(".")[:2]) if "." in ip else ip.split(":")[0]
        if block not in self._asn_of_block:
            asn = self.rng.randint(1000, 399_999)
            kind = self.rng.choice(("Telecom", "Net", "Broadband", "Cable", "Fiber", "Cloud"))
            self._asn_of_block[block] = (asn, f"AS{asn} {kind}")
        return self._asn_of_block[block]

    def note_ip(self, ip: str, network_type: str, known: bool,
                proxy_provider: str | None = None, country: str | None = None) -> str:
        """Remember what the intel feed knows of an address (if it knows it)."""
        if known and ip not in self.intel:
            asn, org = self.block_of(ip)
            self.intel[ip] = {"ip": ip, "asn": asn, "as_org": org,
                              "country": country or self.rng.choice(COUNTRIES),
                              "network_type": network_type, "proxy_provider": proxy_provider}
        return ip

    # -- prompts and clients -------------------------------------------------

    def near(self, base: int, max_bits: int) -> int:
        """A near-duplicate SimHash: base with up to max_bits flipped bits."""
        value = base
        for _ in range(self.rng.randint(0, max_bits)):
            value ^= 1 << self.rng.randrange(64)
        return value

    def browser_agent(self, templates: tuple[str, ...] = BROWSER_AGENTS) -> str:
        template = self.rng.choice(templates)
        return template.format(v=self.rng.randint(118, 131), m=self.rng.randint(1, 8))

    def session_row(self, account_id: str, began: datetime, ended: datetime, ip: str,
                    agent: str | None, device: str | None, key: str | None, requests: int,
                    input_tokens: int, output_tokens: int, template: int, category: str,
                    reasoning: bool, rewrite: bool, model: str | None = None,
                    refusal_rate: float = 0.01) -> dict[str, Any]:
        """One session in the contract's columns (a keyed API session has no device)."""
        rng = self.rng
        return {
            "session_id": self.new_id("s", 12), "account_id": account_id,
            "started_at": began, "ended_at": ended, "ip": ip,
            "user_agent": agent, "device_fingerprint": None if key else device,
            "api_key_id": key, "model": model or rng.choice(MODELS), "requests": requests,
            "input_tokens": input_tokens, "output_tokens": output_tokens,
            "prompt_fingerprint": f"{template:016x}", "prompt_category": category,
            "reasoning_request": reasoning, "sensitive_rewrite": rewrite,
            "refusals": int(rewrite and rng.random() < 0.5) + int(rng.random() < refusal_rate),
        }

    # -- writing ---------------------------------------------------------------

    def plan(self) -> list[Any]:
        """The accounts to write, in file order."""
        raise NotImplementedError

    def account(self, plan: Any) -> tuple[dict[str, Any], list[str],
                                          Iterable[dict[str, Any]]]:
        """One planned account: its row, its label row after the id, its sessions."""
        raise NotImplementedError

    def finish(self, out: Path, counts: dict[str, int]) -> None:
        """Write whatever else the data set holds (after the tables)."""

    def write(self, out: Path, fmt: str = "csv") -> dict[str, int]:
        """Write accounts, sessions, ip_intel and labels.csv into out; row counts."""
        out.mkdir(parents=True, exist_ok=True)
        plans = self.plan()
        counts = {"accounts": 0, "sessions": 0, "hydra": 0}
        chunk: list[dict[str, Any]] = []
        with TableWriter(out, ACCOUNTS, fmt) as accounts, \
                TableWriter(out, SESSIONS, fmt) as sessions, \
                open(out / "labels.csv", "w", newline="", encoding="utf-8") as labels_fh:
            labels = csv.writer(labels_fh, lineterminator="\n")
            labels.writerow(LABEL_COLUMNS)
            for plan in plans:
                row, label, account_sessions = self.account(plan)
                accounts.write(row)
                counts["accounts"] += 1
                labels.writerow([row["account_id"], *label])
                counts["hydra"] += label[0] == "hydra"
                chunk.extend(account_sessions)
                if len(chunk) >= 50_000:
                    self._flush(chunk, sessions, counts)
            self._flush(chunk, sessions, counts)
        with TableWriter(out, IP_INTEL, fmt) as intel:
            for ip in sorted(self.intel, key=lambda _ip: self.rng.random()):
                intel.write(self.intel[ip])
        counts["ip_intel"] = len(self.intel)
        counts["networks"] = len(self.networks)
        self.finish(out, counts)
        return counts

    def _flush(self, chunk: list[dict[str, Any]], writer: TableWriter,
               counts: dict[str, int]) -> None:
        # Interleave accounts' sessions the way a time-ordered export would.
        chunk.sort(key=lambda r: r["started_at"])
        writer.write_all(chunk)
        counts["sessions"] += len(chunk)
        chunk.clear()
