"""Getting text in safely: files, bytes, stdin, HTML.

Every problem becomes an `InputError` with a one-line message a user can act on
(the CLI exits 2 on it, the UI shows it); nothing here truncates text.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

DEFAULT_MAX_CHARS = 10_000_000


class InputError(ValueError):
    """Input we cannot summarize; the message says why."""


def decode_bytes(data: bytes, source: str = "input") -> str:
    """UTF-8 (with or without BOM) or a clear error naming the first bad byte."""
    if b"\x00" in data[:8192]:
        raise InputError(f"{source} looks like a binary file (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{source} is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); "
            "convert it to UTF-8 first, e.g. `iconv -f latin1 -t utf-8`") from None


def read_path(path: str | Path) -> str:
    """The text of a .txt/.md/.html file (HTML reduced to its text)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"file not found: {p}")
    if p.is_dir():
        raise InputError(f"{p} is a directory, not a file")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {p}: {e.strerror}") from None
    text = decode_bytes(data, str(p))
    if p.suffix.lower() in {".html", ".htm"}:
        text = html_to_text(text)
    return text


_HTML_HINT = re.compile(r"<\s*(html|body|p|div|article|span|br|h[1-6]|!doctype)\b", re.I)


def looks_like_html(text: str) -> bool:
    return len(_HTML_HINT.findall(text[:20000])) >= 2


class _TextExtractor(HTMLParser):
    _SKIP = {"script", "style", "noscript", "template", "head", "svg"}
    _BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
              "article", "header", "footer", "ul", "ol", "blockquote", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(text: str) -> str:
    """Visible text of an HTML document, one block per line."""
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    out = html.unescape("".join(parser.parts))
    out = re.sub(r"[ \t\xa0]+", " ", out)
    out = re.sub(r" *\n *", "\n", out)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


def clean_text(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Validate text for summarizing: not empty, not too large; HTML reduced to text."""
    if not isinstance(text, str):
        raise InputError(f"text must be a string, got {type(text).__name__}")
    if len(text) > max_chars:
        raise InputError(f"input is {len(text):,} characters; the limit is {max_chars:,} "
                         "(raise it with max_input_chars / --max-chars)")
    if "\x00" in text:
        raise InputError("input contains NUL characters; is it a binary file?")
    if looks_like_html(text):
        text = html_to_text(text)
    if not text.strip():
        raise InputError("input is empty: there is no text to summarize")
    return text
