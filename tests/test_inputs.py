import codecs
import io
import os
import socket
import threading
import time

import pytest
from hypothesis import given, strategies as st

from summarizer.inputs import (CHUNK_BYTES, SNIFF_BYTES, InputError, clean_text, decode_bytes, decode_utf8,
                               html_to_text, read_path, read_stream)


def test_not_utf8_names_offset(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("Caf\xe9 opens today.".encode("latin-1"))
    with pytest.raises(InputError, match=r"not valid UTF-8 .*offset 3.*iconv -f latin1 -t utf-8"):
        read_path(p)
    p.write_bytes("He said \u201cno\u201d today.".encode("cp1252"))  # curly quotes exist only in Windows-1252
    with pytest.raises(InputError, match=r"byte 0x93 at offset 8.*iconv -f cp1252 -t utf-8"):
        read_path(p)
    p.write_bytes("Caf\u00e9 \u2013 don\u2019t.".encode("cp1252"))  # the first bad byte is é, a dash comes later
    with pytest.raises(InputError, match=r"byte 0xe9 at offset 3.*iconv -f cp1252 -t utf-8"):
        read_path(p)


def test_binary_missing_and_directory(tmp_path):
    b = tmp_path / "x.bin"
    b.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(InputError, match="binary"):
        read_path(b)
    with pytest.raises(InputError, match="not found"):
        read_path(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="directory"):
        read_path(tmp_path)


def test_bom_is_dropped():
    assert decode_bytes("\ufeffHello".encode("utf-8")) == "Hello"


@pytest.mark.parametrize("text", ["", "   \n\t  ", "<html><body><p> </p></body></html>"])
def test_empty_input(text):
    with pytest.raises(InputError, match="empty"):
        clean_text(text)


def test_size_limit_is_stated():
    with pytest.raises(InputError, match="limit is 100"):
        clean_text("a" * 101, max_chars=100)


def test_html_pasted_as_text_is_reduced():
    page = ("<html><head><style>p{color:red}</style><script>var x=1;</script></head><body>"
            "<h1>Bridge vote</h1><p>The council voted&nbsp;7-2.</p><ul><li>One</li></ul></body></html>")
    out = clean_text(page)
    assert out == html_to_text(page)
    assert "Bridge vote" in out and "The council voted 7-2." in out and "- One" in out
    assert "color" not in out and "var x" not in out and "<" not in out


# ---- bounded reading: never more than the limit, never a hang --------------------------------
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_endless_devices_are_refused_quickly(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    with pytest.raises(InputError, match="binary"):
        read_path(device, max_chars=1000)


@pytest.mark.parametrize("limit", [1, 10, 1000, 100_000])
def test_limit_is_checked_while_reading(tmp_path, limit):
    p = tmp_path / "big.txt"
    p.write_text("é" * (limit + 1), encoding="utf-8")
    with pytest.raises(InputError, match=f"limit is {limit:,}"):
        read_path(p, max_chars=limit)
    p.write_text("é" * limit, encoding="utf-8")
    assert read_path(p, max_chars=limit) == "é" * limit


def test_stream_reads_at_most_the_limit():
    class Endless(io.RawIOBase):
        """An endless stream of text that counts what was taken from it."""
        taken = 0

        def readable(self):
            return True

        def readinto(self, b):
            b[:] = b"a" * len(b)
            self.taken += len(b)
            return len(b)

    src = Endless()
    with pytest.raises(InputError, match="stdin is longer than 1,000 characters; the limit is 1,000"):
        read_stream(src, max_chars=1000)
    assert src.taken <= SNIFF_BYTES + CHUNK_BYTES
    assert read_stream(io.BytesIO(b"short text"), 100) == "short text"
    assert read_stream(io.BytesIO("ab".encode("utf-16")), 2) == "ab"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_named_pipe_without_writer_does_not_hang(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    with pytest.raises(InputError, match="named pipe .*nothing is writing"):
        read_path(fifo)
    assert time.monotonic() - t0 < 10


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_named_pipe_with_an_endless_writer_is_bounded(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)

    def write():
        try:
            with open(fifo, "wb") as f:
                while True:
                    f.write(b"more text " * 1000)
        except (BrokenPipeError, OSError):
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    with pytest.raises(InputError, match="limit is 5,000"):
        read_path(fifo, max_chars=5000)
    writer.join(timeout=10)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no unix sockets here")
def test_socket_and_symlink_loop(tmp_path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(tmp_path / "s.txt"))
        with pytest.raises(InputError, match="is a socket, not a file"):
            read_path(tmp_path / "s.txt")
    finally:
        s.close()
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(InputError, match="cannot read .*symbolic links"):
        read_path(tmp_path / "a")


# ---- encodings ---------------------------------------------------------------------------------
TEXT = "Héllo wörld: the ☃ council voted 7–2 on the 𝄞 bridge.\n"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be",
                                   "utf-8-sig"])
def test_utf16_and_utf32_with_a_byte_order_mark_are_text(tmp_path, codec):
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-32-le": codecs.BOM_UTF32_LE,
           "utf-32-be": codecs.BOM_UTF32_BE}.get(codec, b"")
    data = bom + TEXT.encode(codec)
    assert decode_bytes(data) == TEXT
    p = tmp_path / "r.txt"
    p.write_bytes(data)
    assert read_path(p) == TEXT
    assert read_stream(io.BytesIO(data)) == TEXT


def test_bad_utf16_names_the_offset():
    data = codecs.BOM_UTF16_LE + "Hi".encode("utf-16-le") + b"\x00\xd8" + "x".encode("utf-16-le")
    with pytest.raises(InputError, match=r"not valid UTF-16 \(byte 0x00 at offset 6\)"):
        decode_bytes(data)
    with pytest.raises(InputError, match="not valid UTF-16"):
        decode_bytes(codecs.BOM_UTF16_LE + b"a\x00b")  # an odd number of bytes


def test_utf16_without_a_mark_is_still_binary():
    with pytest.raises(InputError, match="binary.*byte order mark"):
        decode_bytes(TEXT.encode("utf-16-le"))


@pytest.mark.parametrize("at", [0, 5, 8191, 8192, 70_000])
def test_bad_utf8_offset_is_exact_across_reads(tmp_path, at):
    data = b"a" * at + b"\xff" + b"b" * 10
    p = tmp_path / "x.txt"
    p.write_bytes(data)
    with pytest.raises(InputError, match=rf"not valid UTF-8 \(byte 0xff at offset {at}\)"):
        read_path(p)
    # a character split over two reads is fine; one cut short at the end is not
    p.write_bytes("é".encode() * 40_000)
    assert read_path(p) == "é" * 40_000
    p.write_bytes("é".encode() * 40_000 + b"\xc3")
    with pytest.raises(InputError, match="byte 0xc3 at offset 80000"):
        read_path(p)


def test_decode_utf8_does_not_sniff():
    """For a line of a file known to be UTF-8: 0xFF 0xFE is a bad byte, not a UTF-16 mark."""
    with pytest.raises(InputError, match=r"not valid UTF-8 \(byte 0xff at offset 0\)"):
        decode_utf8(b"\xff\xfea\x00")
    with pytest.raises(InputError, match=r"byte 0xff at offset 5"):
        decode_utf8(codecs.BOM_UTF8 + b"ab\xffc")
    assert decode_utf8(codecs.BOM_UTF8 + "é".encode()) == "é"


@pytest.mark.parametrize("broken, fixed", [
    ("The fare rose to Â£5 and they donâ€™t like it.", "The fare rose to £5 and they don’t like it."),
    ("â€œWe are readyâ€\x9d, the mayor said â€” then left.", "“We are ready”, the mayor said — then left."),
    ("â€œNoâ€\ufffd, she said. He said â€œyesâ€", "“No”, she said. He said “yes”"),  # ” lost its last byte
    ("A cafÃ© in ZÃ¼rich opened.", "A café in Zürich opened."),
    ("A café in Zürich opened for £5.", "A café in Zürich opened for £5."),  # right already: untouched
    ("Tokyo (東京) and Â£5.", "Tokyo (東京) and £5."),  # each run on its own
    ("Ã is a letter too, as in SÃO.", "Ã is a letter too, as in SÃO."),  # no UTF-8 behind it: untouched
    ("«C'est un café\xa0» and they donâ€™t know.", "«C'est un café\xa0» and they don’t know."),  # right text stays
    ("<html><body><p>It costs 10Â\xa0euros.</p></body></html>", "It costs 10 euros."),  # before HTML is read
])
def test_mojibake_is_put_right(broken, fixed):
    from summarizer.inputs import fix_mojibake

    assert clean_text(broken) == fixed
    if not broken.startswith("<"):
        assert fix_mojibake(broken) == fixed


def test_an_unpaired_surrogate_is_refused_with_its_place():
    """JSON lets "\\ud800" through; no encoder takes it, so it would fail deep inside generation."""
    with pytest.raises(InputError, match=r"unpaired surrogate \(U\+D800\) at character 4"):
        clean_text("abc \ud800 def")


@pytest.mark.parametrize("tokenized, plain", [
    ("The team 's 0-0 draw , he said . They did n't score in the last 20 minutes .",
     "The team's 0-0 draw, he said. They didn't score in the last 20 minutes."),
    ("He called it `` a disgrace , '' adding : 'if they can get in ( the England team ) , anyone can . '",
     "He called it \"a disgrace,\" adding: 'if they can get in (the England team), anyone can.'"),
    ("Prices rose 5 % -LRB- to $ 12 -RRB- , traders said . It ca n't last , they 're sure .",
     "Prices rose 5% (to $12), traders said. It can't last, they're sure."),
    ("Fans of the club ’ s side do n’t mind , he said . ‘ We won , ’ they sang . It was fine .",
     "Fans of the club’s side don’t mind, he said. ‘We won,’ they sang. It was fine."),
    ("He moved to the U.S. . Then , he left .\nA second line , here .",
     "He moved to the U.S. Then, he left.\nA second line, here."),
    # straight single quotes stand alone: paired, one opens on the word after it, one closes on the
    # word before (was "Twitter.' Just been" and "was' a little puppet '.")
    ("Merson put on Twitter . ' Just been watching , did you miss the coach ? ' he said . He said Gordon was "
     "' a little puppet on a string ' . The players ' union and James ' car stayed .",
     "Merson put on Twitter. 'Just been watching, did you miss the coach?' he said. He said Gordon was "
     "'a little puppet on a string'. The players' union and James' car stayed."),
    ("They rapped to the '90s sitcom 'The Fresh Prince of Bel-Air . ' The clip , shot in a car , was seen . "
     "' I love it , ' she said .",
     "They rapped to the '90s sitcom 'The Fresh Prince of Bel-Air.' The clip, shot in a car, was seen. "
     "'I love it,' she said."),
])
def test_tokenized_text_is_written_plainly(tokenized, plain):
    """CNN/DM test sets are Penn-Treebank tokenized; the default model read them 1.8 ROUGE-2 worse
    than the same articles as written (100 held-out CNN rows), Lead-3 the same."""
    from summarizer.inputs import looks_tokenized

    assert looks_tokenized(tokenized)
    assert clean_text(tokenized) == plain


@pytest.mark.parametrize("text", [
    "The team's 0-0 draw, he said. They didn't score.",
    "Bonjour : ça va ? Oui , merci. Non, pas du tout. Oui, bien sûr. Très bien.",  # French spacing
    "Scores: 1 , 2 and 3 . That is all, folks. It was fine, they said. Then, rain.",
    "A list . Of two . Spaced stops",  # too few to tell
])
def test_plain_text_is_not_untokenized(text):
    from summarizer.inputs import looks_tokenized

    assert not looks_tokenized(text)
    assert clean_text(text) == text


def _ptb(plain_words: list[str]) -> str:
    """The test's own Penn Treebank-style tokenizer over the pieces `_plain_sentences` builds."""
    out = []
    for w in plain_words:
        for contraction in ("n't", "'s", "'re", "'ll"):
            if w.endswith(contraction) and len(w) > len(contraction):
                out += [w[:-len(contraction)], contraction]
                break
        else:
            out.append(w)
    return " ".join(out)


_WORDS = st.sampled_from(["the", "council", "said", "Smith", "U.S.", "3.5", "1,000", "voted", "plan", "it",
                          "club's", "didn't", "they're", "we'll", "Monday", "$", "%"])


@st.composite
def _plain_sentences(draw) -> tuple[list[str], str]:
    """A few sentences as tokens (punctuation apart) and as written."""
    tokens, text = [], ""
    for _ in range(draw(st.integers(3, 6))):
        words = draw(st.lists(_WORDS, min_size=2, max_size=8))
        words = [w for w in words if w not in ("$", "%")] or ["plan"]
        comma = draw(st.integers(0, len(words) - 1))
        sent_tokens, pieces = [], []
        for k, w in enumerate(words):
            sent_tokens.append(w)
            pieces.append(w)
            if k == comma and k < len(words) - 1:
                sent_tokens.append(",")
                pieces[-1] += ","
        sent_tokens.append(".")
        if not pieces[-1].endswith("."):  # "... in the U.S." ends once in writing, "U.S. ." tokenized
            pieces[-1] += "."
        tokens += sent_tokens
        text += (" " if text else "") + " ".join(pieces)
    return tokens, text


@given(_plain_sentences())
def test_untokenize_inverts_tokenizing(case):
    from summarizer.inputs import looks_tokenized, untokenize

    tokens, plain = case
    tokenized = _ptb(tokens)
    assert looks_tokenized(tokenized)
    assert untokenize(tokenized) == plain
    assert not looks_tokenized(plain)


@pytest.mark.parametrize("raw, expected", [
    # hard-wrapped lines inside a sentence are joined; paragraphs, headings and list items stay apart
    ("The city council voted on Tuesday to close the bridge for\nrepairs after engineers found cracks in two of its\n"
     "steel supports.\n\nThe End",
     "The city council voted on Tuesday to close the bridge for repairs after engineers found cracks in two of its "
     "steel supports.\n\nThe End"),
    ('The mayor thanked residents and called the decision "the\nend of a very long wait".',
     'The mayor thanked residents and called the decision "the end of a very long wait".'),
    ("The state will cover part of the cost of the new bridge, some\n$40 million of it.",
     "The state will cover part of the cost of the new bridge, some $40 million of it."),
    ("Market Reaction\neBay shares fell 6% in early trading.", "Market Reaction\neBay shares fell 6% in early trading."),
    ("The poem\nhas short lines\nthat stay\napart", "The poem\nhas short lines\nthat stay\napart"),
    ("Colours \x1b[1;31mred\x1b[0m removed.", "Colours red removed."),
    ("Full Report\nThe council met.\n- First item\n- Second item", "Full Report\nThe council met.\n- First item\n- Second item"),
    ("It rose 5%.\r\nthe next day it fell.", "It rose 5%.\nthe next day it fell."),  # an end mark ends the line
    # invisible characters and Markdown emphasis marks are not text
    ("The fer\u200bry service\ufeff resumed, it was\u200d said.", "The ferry service resumed, it was said."),
    ("The **council** approved the plan by 5 * 3 votes, *** said __init__ and 2 *x y* 3.",
     "The council approved the plan by 5 * 3 votes, *** said __init__ and 2 *x y* 3."),
    ("The finance ministry warned of a fall in the value of the\n# Results\nRevenue rose.",
     "The finance ministry warned of a fall in the value of the\n# Results\nRevenue rose."),
    ("The biggest movers on the stock exchange this week were the\n1. Apple rose 5%.",
     "The biggest movers on the stock exchange this week were the\n1. Apple rose 5%."),
])
def test_clean_text_joins_wrapped_lines_and_drops_marks(raw, expected):
    assert clean_text(raw) == expected
