import pytest

from summarizer.inputs import InputError, clean_text, decode_bytes, html_to_text, read_path


def test_not_utf8_names_offset(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("Caf\xe9 opens today.".encode("latin-1"))
    with pytest.raises(InputError, match=r"not valid UTF-8 .*offset 3"):
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
