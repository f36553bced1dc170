"""A safe subset of Markdown for case notes.

Everything is escaped first; only then do a few marks become tags: blank-line
paragraphs, `- ` lists, **bold**, *italic*, `code` and [links](https://...)
to http(s) addresses. Any other link target stays visible as plain text, so
a `javascript:` link can never become one.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*([^*\n]+)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*([^*\n]+)\*(?![*\w])")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_BULLET = re.compile(r"^\s*[-*] ")
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.I)


def _link(match: re.Match[str]) -> str:
    text, url = match.group(1), match.group(2)
    # The URL is already escaped (&amp; etc.); only its scheme matters here.
    if _SAFE_URL.match(url):
        return f'<a href="{url}" rel="noopener noreferrer nofollow">{text}</a>'
    return f"{text} ({url})"


def _inline(escaped: str) -> str:
    parts = _CODE.split(escaped)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"<code>{part}</code>")
            continue
        part = _LINK.sub(_link, part)
        part = _BOLD.sub(r"<strong>\1</strong>", part)
        part = _ITALIC.sub(r"<em>\1</em>", part)
        out.append(part)
    return "".join(out)


def render_note(text: str) -> Markup:
    """HTML for a note: escaped text with the safe subset applied."""
    blocks = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip())
    html = []
    for block in blocks:
        lines = [str(escape(line.rstrip())) for line in block.split("\n")]
        if lines and all(_BULLET.match(line) for line in lines):
            items = "".join(f"<li>{_inline(_BULLET.sub('', line))}</li>" for line in lines)
            html.append(f"<ul>{items}</ul>")
        elif any(line.strip() for line in lines):
            html.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    return Markup("".join(html))
