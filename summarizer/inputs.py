"""Getting text in safely: files, bytes, stdin, HTML.

Every problem becomes an `InputError` with a one-line message a user can act on
(the CLI exits 2 on it, the UI shows it); nothing here truncates text.

Reading is bounded: at most `max_chars` + 1 characters are ever decoded, so a huge file,
`/dev/zero` or an endless pipe is refused with the usual message instead of filling memory.
Text is UTF-8, or UTF-16/UTF-32 when the file starts with their byte order mark.
"""

from __future__ import annotations

import codecs
import html
import os
import re
import select
import stat
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

DEFAULT_MAX_CHARS = 10_000_000
SNIFF_BYTES = 8192  # NUL bytes here (and no UTF-16/32 mark) mean a binary file
CHUNK_BYTES = 1 << 16
PIPE_IDLE_TIMEOUT_S = 60.0  # a named pipe or device path that sends nothing for this long is refused
FIFO_WRITER_WAIT_S = 1.0  # how long a named pipe without a writer may take to get one

# Longest marks first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS = [(codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]


class InputError(ValueError):
    """Input we cannot summarize; the message says why."""


def sniff_encoding(head: bytes) -> tuple[str, int]:
    """(codec, length of the byte order mark) from a file's first bytes; UTF-8 without a mark."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    return "utf-8", 0


def sniff_text(head: bytes, source: str = "input") -> tuple[str, int]:
    """sniff_encoding, refusing a binary file (NUL bytes near the start and no UTF-16/32 mark)."""
    codec, bom = sniff_encoding(head)
    _check_not_binary(head, codec, source)
    return codec, bom


def _check_not_binary(head: bytes, codec: str, source: str) -> None:
    if codec == "utf-8" and b"\x00" in head[:SNIFF_BYTES]:
        raise InputError(f"{source} looks like a binary file (it contains NUL bytes), not text "
                         "(UTF-16/UTF-32 text needs a byte order mark)")


def _decode_error(e: UnicodeDecodeError, codec: str, offset: int, source: str) -> InputError:
    """One line naming the first bad byte and its offset in the whole input."""
    name = codec.upper().replace("-LE", "").replace("-BE", "")
    bad = e.object[e.start:e.start + 1].hex() or "end"
    # Bytes 0x80-0x9F are printable only in Windows-1252 (curly quotes, dashes, the euro sign): one
    # anywhere in what was read says Windows text, whose dashes latin1 would garble
    legacy = "cp1252" if any(0x80 <= b <= 0x9F for b in e.object) else "latin1"
    hint = f"; convert it to UTF-8 first, e.g. `iconv -f {legacy} -t utf-8`" if codec == "utf-8" else ""
    return InputError(f"{source} is not valid {name} (byte 0x{bad} at offset {offset + e.start}){hint}")


def decoded_pieces(read: Callable[[int], bytes], source: str = "input", max_chars: int | None = None,
                   head: bytes = b"") -> Iterator[str]:
    """Text of a byte source, piece by piece, as it is read.

    `read(n)` returns up to n bytes (b"" at the end); `head` is what was already read of it.
    Raises InputError for binary data, bad encoding (with the byte offset) and, with
    `max_chars`, as soon as more than that many characters have come.
    """
    while len(head) < SNIFF_BYTES:
        more = read(SNIFF_BYTES - len(head))
        if not more:
            break
        head += more
    codec, bom = sniff_text(head, source)
    decoder = codecs.getincrementaldecoder(codec)("strict")
    data, offset, count = head[bom:], bom, 0  # offset: where `data` starts in the input
    while True:
        final = not data
        buffered = len(decoder.getstate()[0])
        try:
            text = decoder.decode(data, final=final)
        except UnicodeDecodeError as e:
            raise _decode_error(e, codec, offset - buffered, source) from None
        count += len(text)
        if max_chars is not None and count > max_chars:
            raise too_long(source, max_chars)
        if text:
            yield text
        if final:
            return
        offset += len(data)
        data = read(CHUNK_BYTES)


def too_long(source: str, max_chars: int) -> InputError:
    return InputError(f"{source} is longer than {max_chars:,} characters; the limit is {max_chars:,} "
                      "(raise it with max_input_chars / --max-chars)")


def decode_bytes(data: bytes, source: str = "input") -> str:
    """UTF-8 (with or without BOM), or UTF-16/32 with a BOM; else a clear error naming the first bad byte."""
    return "".join(decoded_pieces(lambda n: b"", source, head=data))


def decode_utf8(data: bytes, source: str = "input") -> str:
    """Strict UTF-8 (a leading BOM dropped), for a piece of a file whose encoding is known:
    no sniffing, so a line that happens to start with 0xFF 0xFE is an error, not UTF-16."""
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise _decode_error(e, "utf-8", skip, source) from None


def read_stream(stream: BinaryIO, max_chars: int = DEFAULT_MAX_CHARS, source: str = "stdin") -> str:
    """All text of a binary stream (stdin), reading no more than `max_chars` + 1 characters."""
    stream = getattr(stream, "buffer", stream)  # a text stream's bytes

    def read(n: int) -> bytes:
        try:
            return stream.read(n) or b""
        except OSError as e:
            raise InputError(f"cannot read {source}: {e.strerror or e}") from None

    return "".join(decoded_pieces(read, source, max_chars))


def _open(p: Path) -> tuple[int, os.stat_result]:
    """A descriptor for reading `p`, refusing what is no file; never blocks (named pipes included)."""
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError(f"file not found: {p}") from None
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        shown = str(p).replace("\x00", "\\0")
        raise InputError(f"cannot read {shown}: {getattr(e, 'strerror', None) or e}") from None
    kinds = {stat.S_ISDIR: "a directory", stat.S_ISSOCK: "a socket", stat.S_ISBLK: "a block device"}
    for test, kind in kinds.items():
        if test(st.st_mode):
            raise InputError(f"{p} is {kind}, not a file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(p, flags)
    except OSError as e:
        raise InputError(f"cannot read {p}: {e.strerror}") from None
    st = os.fstat(fd)  # what was opened, not what the name pointed to a moment ago
    if stat.S_ISDIR(st.st_mode) or os.isatty(fd):
        os.close(fd)
        raise InputError(f"{p} is {'a directory' if stat.S_ISDIR(st.st_mode) else 'a terminal'}, not a file"
                         + ("" if stat.S_ISDIR(st.st_mode) else "; use - to read stdin"))
    return fd, st


def _fd_reader(fd: int, st: os.stat_result, name: str) -> Callable[[int], bytes]:
    """read(n) for a descriptor opened non-blocking: waits for a pipe's writer at most
    PIPE_IDLE_TIMEOUT_S between pieces, and tells a pipe nobody writes to from a hang."""
    first = True

    def read(n: int) -> bytes:
        nonlocal first
        while True:
            try:
                data = os.read(fd, n)
            except BlockingIOError:  # a pipe or device with a writer that has sent nothing yet
                first = False
                ready, _, _ = select.select([fd], [], [], PIPE_IDLE_TIMEOUT_S)
                if not ready:
                    raise InputError(f"{name}: nothing came for {PIPE_IDLE_TIMEOUT_S:.0f} s; "
                                     "pass a file or pipe the text to stdin") from None
                continue
            except OSError as e:
                raise InputError(f"cannot read {name}: {e.strerror}") from None
            if first and not data and stat.S_ISFIFO(st.st_mode):
                # No writer yet, or one still opening its end: give it a moment, not forever.
                first = False
                if select.select([fd], [], [], FIFO_WRITER_WAIT_S)[0]:
                    continue
                raise InputError(f"{name} is a named pipe (FIFO) and nothing is writing to it")
            first = False
            return data

    return read


def read_path(path: str | Path, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The text of a .txt/.md/.html file (HTML reduced to its text), reading at most
    `max_chars` + 1 characters; pipes and devices are read with the same bound."""
    p = Path(path)
    fd, st = _open(p)
    try:
        text = "".join(decoded_pieces(_fd_reader(fd, st, str(p)), str(p), max_chars))
    finally:
        os.close(fd)
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


SURROGATE = re.compile("[\ud800-\udfff]")
# Characters that show nothing but split words for every tokenizer: zero-width space, word joiner,
# a byte-order mark inside the text, soft hyphen; zero-width (non-)joiners beside Latin text. (Inside Indic
# scripts and emoji sequences they shape the text and stay.)
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]|(?<=[\x00-\x7f])[\u200c\u200d]|[\u200c\u200d](?=[\x00-\x7f])")
# A line broken inside a sentence (e-mail, PDF, `fold`): a long line with no end mark, and the next
# line goes on in lower case or with an amount, or the line ends in a word that cannot end a
# sentence. Short lines (headings) and blank lines (paragraphs) stay apart.
_WRAP_BREAK = re.compile(r"[ \t]*\n[ \t]*(?=\S)")
_GOES_ON = re.compile(r"[\"“‘']?[a-z$£€]")
_ENDS_OPEN = re.compile(r"\b(?:the|a|an|of|to|and|or|but|in|on|at|for|with|by|from|that|his|her|its|their)$")
_LIST_OR_HEADING = re.compile(r"[#*•·–—-]|\(?\d{1,3}[.)]\s")
WRAP_MIN_CHARS = 40
# Terminal colour codes pasted from a console ("\x1b[0m").
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Markdown bold ("**the council**"): the marks are not text. Bounded, so a line of stray marks stays linear.
_EMPHASIS = re.compile(r"(?<![\w*])\*\*(?=[^\s*])([^\n*]{1,200}?)(?<=[^\s*])\*\*(?![\w*])")
# The usual mojibake: UTF-8 for Latin-1 letters (bytes C2/C3 + one) and for punctuation such as
# quotes, dashes and the euro sign (E2 + two), each byte shown as its Windows-1252 character.
_CP1252_TAIL = "".join(bytes([b]).decode("cp1252", "ignore") or chr(b) for b in range(0x80, 0xC0))
_MOJIBAKE = re.compile(f"[ÂÃ][{re.escape(_CP1252_TAIL)}]|â[{re.escape(_CP1252_TAIL)}]{{2}}")


def _cp1252_bytes(run: str) -> bytes:
    """The bytes Windows-1252 shows as `run` (the five it leaves undefined came through as themselves)."""
    return b"".join(c.encode("cp1252") if ord(c) > 0xFF or c.encode("cp1252", "ignore") else bytes([ord(c)])
                    for c in run)


def fix_mojibake(text: str) -> str:
    """UTF-8 that was once read as Windows-1252 ("Â£5", "donâ€™t") put right, sequence by sequence.
    Only the usual patterns are touched, and only when they decode as UTF-8, so correct text
    ("café", "« oui »", "Zürich") is never changed."""
    def fix(m: re.Match) -> str:
        try:
            return _cp1252_bytes(m.group()).decode("utf-8")
        except UnicodeError:
            return m.group()
    # ” (E2 80 9D) read as Windows-1252 leaves its last byte undefined: shown as "â€" and a
    # replacement character, or nothing at all before a space or the end
    text = re.sub("â€(?:\ufffd|\x9d)|â€(?=\s|$)", "”", text)
    return _MOJIBAKE.sub(fix, text)


# Penn Treebank tokenization, as in the CNN/DailyMail test sets ("the team 's 0-0 draw , he said ."):
# detected by its spaced commas and full stops, undone rule by rule, one line at a time.
_SPACED = re.compile(r"(?<=\S) [,.](?= |$)", re.M)
_ATTACHED = re.compile(r"(?:\w,|[a-z0-9]{2}\.)(?= |$)", re.M)  # "U.S." and "Mr." are abbreviations
_BRACKET_TOKENS = {"lrb": "(", "rrb": ")", "lsb": "[", "rsb": "]", "lcb": "{", "rcb": "}"}
_UNTOKENIZE = [
    (re.compile(r"-(lrb|rrb|lsb|rsb|lcb|rcb)-", re.I), lambda m: _BRACKET_TOKENS[m.group(1).lower()]),
    (re.compile(r"`` ?"), '"'),
    (re.compile(r" ?''"), '"'),
    (re.compile(r" (n't|n’t|'s|'re|'ve|'ll|'d|'m)\b", re.I), r"\1"),
    (re.compile(r"(?<=\w) ?’ ?(s|re|ve|ll|d|m|t)\b"), r"’\1"),  # "the club ’ s", "don ’ t"
    (re.compile(r" ([.,;:!?%)\]}])"), r"\1"),
    (re.compile(r"([(\[{$£€‘“]) "), r"\1"),
    (re.compile(r"(?<=[\w.,!?]) (['’”])(?= |$)", re.M), r"\1"),  # a closing quote
    (re.compile(r"(?<=\w\.)\.(?= |$)", re.M), ""),  # "U.S. ." at a sentence end
]


def looks_tokenized(text: str) -> bool:
    """Most commas and full stops stand apart from their words: no plain or French text does that."""
    spaced = len(_SPACED.findall(text))
    return spaced >= 3 and spaced >= 2 * len(_ATTACHED.findall(text))


# Words ending in "s" that are no plural noun: "was ' a little puppet '" opens a quotation, where
# "the players ' union" is a possessive
_NOT_PLURAL = frozenset("""was is has does says as his its this thus us yes whereas always perhaps unless towards
afterwards besides across less regardless""".split())
_ELISION = re.compile(r"^(?:\d0s|em|til|n|cause|round|tis)$", re.I)  # "'90s", "rock 'n' roll": no quotation
_CONTRACTIONS = frozenset("'s 're 've 'll 'd 'm 't".split())


def _single_quotes(line: str) -> str:
    """Straight single quotes standing alone, read in order: one that opens a quotation joins the
    word after it, one that closes it (or a possessive's: "the players ' union") the word before.
    A quote already joined to its word ("'The Fresh Prince") opens one too."""
    toks = line.split(" ")
    if "'" not in toks:
        return line
    out: list[str] = []
    open_ = join_next = False
    for i, t in enumerate(toks):
        if join_next and out:
            out[-1] += t
            join_next = False
            continue
        if t != "'":
            if t[:1] == "'" and t[1:2].isalpha() and t.lower() not in _CONTRACTIONS and not _ELISION.match(t[1:]):
                open_ = True
            out.append(t)
            continue
        prev = toks[i - 1] if i else ""
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        possessive = prev[-1:] == "s" and prev.lower() not in _NOT_PLURAL and nxt[:1].islower()
        elided = bool(_ELISION.match(nxt))  # "the ' 90s" joins its word without opening anything
        opens = not open_ and not possessive and nxt[:1].isalnum() and not elided
        if opens or elided:
            open_ = open_ or opens
            out.append(t)
            join_next = True
        else:
            open_ = open_ and possessive  # a closing quote ends the quotation; a possessive leaves it as it was
            if out:
                out[-1] += t
            else:
                out.append(t)
    return " ".join(out)


def untokenize(text: str) -> str:
    """Tokenized text put back as it was written ("the team's 0-0 draw, he said."), so sentence
    splitting, word counts and models trained on plain text read it as they read any article."""
    text = "\n".join(_single_quotes(line) for line in text.split("\n"))
    for pattern, repl in _UNTOKENIZE:
        text = pattern.sub(repl, text)
    return text


def unwrap(text: str) -> str:
    """Lines hard-wrapped inside a sentence joined with a space (see `_WRAP_BREAK`)."""
    def join(m: re.Match) -> str:
        line = text[text.rfind("\n", 0, m.start()) + 1:m.start()].strip()
        if len(line) < WRAP_MIN_CHARS or line[-1] in ".!?:;\"”’)]":
            return m.group()
        if _LIST_OR_HEADING.match(text, m.end()):
            return m.group()
        return " " if _GOES_ON.match(text, m.end()) or _ENDS_OPEN.search(line) else m.group()
    return _WRAP_BREAK.sub(join, text)


def clean_text(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Validate text for summarizing: not empty, not too large; HTML reduced to text; mojibake
    ("Â£", "â€™") put right; tokenized text ("team 's") written plainly; invisible characters,
    terminal colour codes, hard line wraps inside sentences and Markdown bold marks taken out."""
    if not isinstance(text, str):
        raise InputError(f"text must be a string, got {type(text).__name__}")
    if len(text) > max_chars:
        raise InputError(f"input is {len(text):,} characters; the limit is {max_chars:,} "
                         "(raise it with max_input_chars / --max-chars)")
    if "\x00" in text:
        raise InputError("input contains NUL characters; is it a binary file?")
    surrogate = SURROGATE.search(text)
    if surrogate:  # JSON's "\ud800" escapes allow them; no encoder takes them
        raise InputError(f"input holds an unpaired surrogate (U+{ord(surrogate.group()):04X}) at character "
                         f"{surrogate.start():,}: it is not valid Unicode text")
    text = fix_mojibake(text)  # before HTML is reduced: that turns the no-break space in "Â\xa0" into a space
    if looks_like_html(text):
        text = html_to_text(text)
    if looks_tokenized(text):
        text = untokenize(text)
    text = _INVISIBLE.sub("", text)
    text = unwrap(_ANSI.sub("", text).replace("\r\n", "\n"))
    text = _EMPHASIS.sub(r"\1", text)
    if not text.strip():
        raise InputError("input is empty: there is no text to summarize")
    return text


def unspaced(text: str) -> bool:
    """Mostly written without spaces between words (Chinese, Japanese, Thai): this model can neither
    split it into sentences nor count its words."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum(1 for ch in letters if "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff"
               or "\u0e00" <= ch <= "\u0e7f") > len(letters) / 2
