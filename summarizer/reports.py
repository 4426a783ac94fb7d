"""Report format <-> (text to summarize, reference bullets).

A report is: title, lede paragraph(s), a "Key Developments" bullet list, a
"Full Report" with sub-headed sections, and "Context & Previous Events". Any
plain article (no such headings) is accepted too: all of it is the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KEY_HEADING = "key developments"
FULL_HEADING = "full report"
CONTEXT_HEADING = "context & previous events"
_KNOWN = {KEY_HEADING, FULL_HEADING, CONTEXT_HEADING, "context and previous events",
          "context", "background"}
# "Background and Context", "Context & Background", "Previous Events and Background": the context part too
_CONTEXT_WORDS = {"context", "background", "previous", "prior", "earlier", "events", "and", "&"}
_SMALL_WORDS = {"a", "an", "the", "of", "and", "or", "for", "in", "on", "to", "with", "at", "by", "from", "as", "is",
                "&", "vs", "vs."}

# "- item", "* item", "• item", "1. item", "1) item", "(1) item", "– item"
BULLET_RE = re.compile(r"^\s*(?:[-*•·–—▪●◦]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)](?=\s))\s+")


def _heading_key(line: str) -> str | None:
    """The normalised heading a line names, or None when it is not a known heading."""
    s = line.strip()
    s = re.sub(r"^#{1,6}\s*", "", s)  # markdown heading
    s = re.sub(r"^\*\*(.*)\*\*$", r"\1", s)  # **bold** heading
    s = s.strip().rstrip(":").strip().lower()
    if s in _KNOWN:
        return s
    words = set(s.split())
    return CONTEXT_HEADING if words and words <= _CONTEXT_WORDS and words & {"context", "background"} else None


def _titled(line: str) -> bool:
    """Title Case or capitals: "What Comes Next?", "The Road Ahead:", "RESCUE EFFORTS"."""
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", line) if w.lower() not in _SMALL_WORDS]
    return bool(words) and all(w[0].isupper() for w in words)


def section_heading(line: str) -> bool:
    """A sub-heading of the Full Report: a markdown heading, a bold line, or a short line without
    end punctuation; a short Title Case line may end in ":" or "?". A list item never is one."""
    if BULLET_RE.match(line) and not line.startswith("#"):
        return False
    if line.startswith("#") or re.fullmatch(r"\*\*[^*]+\*\*:?", line):
        return True
    n = len(line.split())
    return (n <= 10 and not re.search(r"[.!?:;,\"”')]$", line)) or (n <= 8 and line[-1] in ":?" and _titled(line))


def strip_bullet(line: str) -> str | None:
    """The text of a bullet line without its marker; None when the line is no bullet."""
    m = BULLET_RE.match(line)
    return line[m.end():].strip() if m else None


@dataclass
class Report:
    title: str = ""
    lede: str = ""
    key_developments: list[str] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)  # (heading, body) of the Full Report
    context: str = ""
    is_structured: bool = False  # False: a plain article with no report headings
    text: str = ""  # what the model reads: the report without its Key Developments

    @property
    def reference(self) -> str:
        return "\n".join(self.key_developments)

    @property
    def only_key_developments(self) -> bool:
        """Nothing to summarize beyond a title: the report is its own answer."""
        return not self.text.strip() or (bool(self.key_developments)
                                         and not self.text.strip().removeprefix(self.title.strip()).strip())


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


def parse_report(text: str) -> Report:
    """Split a report into its parts. Never raises on odd input; plain text passes through."""
    text = normalise_newlines(text)
    lines = text.split("\n")
    heads = [(i, _heading_key(l)) for i, l in enumerate(lines)]
    heads = [(i, k) for i, k in heads if k]
    if not heads:
        body = _tidy(text)
        return Report(text=body, is_structured=False)

    rep = Report(is_structured=True)
    first = heads[0][0]
    pre = [l.strip() for l in lines[:first] if l.strip()]
    # the first line is the title, unless it reads as a sentence: a report may come without one
    if pre and not (re.search(r"\.[\"”’)]?$", pre[0]) or (re.search(r"[!?][\"”’)]?$", pre[0])
                                                         and len(pre[0].split()) > 14)):
        rep.title = re.sub(r"^#{1,6}\s*", "", pre[0]).strip()
        pre = pre[1:]
    rep.lede = "\n".join(pre)

    spans = [(i, k, heads[j + 1][0] if j + 1 < len(heads) else len(lines))
             for j, (i, k) in enumerate(heads)]
    for start, key, end in spans:
        block = lines[start + 1:end]
        if key == KEY_HEADING:
            rep.key_developments += _bullets(block)
        elif key == FULL_HEADING:
            rep.sections += _sections(block)
        else:
            rep.context = "\n".join(x for x in (rep.context, _tidy("\n".join(block))) if x)

    parts = [rep.title, rep.lede]
    for heading, body in rep.sections:
        parts += [heading, body]
    parts.append(rep.context)
    rep.text = "\n\n".join(p for p in parts if p.strip())
    return rep


def _tidy(text: str) -> str:
    """Trim lines and collapse runs of blank lines."""
    out = re.sub(r"[ \t]+\n", "\n", text.strip())
    return re.sub(r"\n{3,}", "\n\n", out)


def _bullets(block: list[str]) -> list[str]:
    items: list[str] = []
    for line in block:
        if not line.strip():
            continue
        b = strip_bullet(line)
        if b is not None:
            items.append(b)
        elif items:  # a wrapped continuation of the previous bullet
            items[-1] = f"{items[-1]} {line.strip()}"
        else:
            items.append(line.strip())
    return [i for i in items if i]


def _sections(block: list[str]) -> list[tuple[str, str]]:
    """Sub-headed sections: a short line without end punctuation followed by paragraphs."""
    sections: list[tuple[str, list[str]]] = []
    for line in (l.strip() for l in block):
        if not line:
            continue
        if section_heading(line):
            sections.append((re.sub(r"^#{1,6}\s*|^\*\*|\*\*:?$|:$", "", line).strip(), []))
        elif sections:
            sections[-1][1].append(line)
        else:
            sections.append(("", [line]))
    return [(h, "\n".join(b)) for h, b in sections]


def format_report(title: str, lede: str, bullets: list[str],
                  sections: list[tuple[str, str]], context: str = "") -> str:
    """Write a report in the house format (used for examples and tests)."""
    out = [title, lede, "Key Developments"] + [f"- {b}" for b in bullets] + ["Full Report"]
    for h, body in sections:
        out += [h, body]
    if context:
        out += ["Context & Previous Events", context]
    return "\n".join(out) + "\n"
