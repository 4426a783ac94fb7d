import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from summarizer.reports import format_report, parse_report


def test_example_report_parts(example_reports):
    rep = parse_report(example_reports["harbor_bridge.txt"])
    assert rep.is_structured
    assert rep.title.startswith("City Council Approves")
    assert len(rep.key_developments) == 4
    assert rep.key_developments[0].startswith("The council approved a $62 million plan")
    assert [h for h, _ in rep.sections] == ["The Vote", "Funding", "Traffic During Construction", "Opposition"]
    assert "structurally deficient" in rep.context
    # the text to summarize keeps everything but the Key Developments
    assert "free shuttle ferry every 15 minutes between" in rep.text
    assert "A free shuttle ferry will run every 15 minutes during the closure." not in rep.text
    assert rep.title in rep.text and "Context & Previous Events" not in rep.text


def test_markdown_variant_with_colon_and_numbers(example_reports):
    rep = parse_report(example_reports["solar_farm.md"])
    assert rep.title == "Farmers Back Solar Project on Former Quarry Site"
    assert len(rep.key_developments) == 3
    assert rep.key_developments[1].startswith("The planned solar farm")
    assert [h for h, _ in rep.sections] == ["The Agreement", "The Plan"]


def test_crlf_blank_lines_and_any_marker():
    text = ("Title here\r\n\r\nLede sentence one.\r\n\r\n\r\nKEY DEVELOPMENTS:\r\n* first thing\r\n"
            "• second thing\r\n2) third thing\r\n\r\nFull Report\r\nSection\r\nBody text here.\r\n")
    rep = parse_report(text)
    assert rep.key_developments == ["first thing", "second thing", "third thing"]
    assert rep.sections == [("Section", "Body text here.")]
    assert "\r" not in rep.text and "first thing" not in rep.text


def test_plain_article_passes_through():
    text = "  The mayor resigned on Friday.\n\n\n\nShe cited health reasons.  "
    rep = parse_report(text)
    assert not rep.is_structured and rep.key_developments == []
    assert rep.text == "The mayor resigned on Friday.\n\nShe cited health reasons."


def test_wrapped_bullet_lines_join():
    rep = parse_report("T\nKey Developments\n- a long bullet\n  that wraps\n- next\nFull Report\nS\nBody.")
    assert rep.key_developments == ["a long bullet that wraps", "next"]


def test_section_headings_in_other_styles():
    text = ("Floods Kill 41\nFloods killed 41 people on Tuesday.\nFull Report\nCasualties and Damage:\n"
            "The toll rose to 41.\nWhat Happens Next?\nMore rain is due.\n**Aid**\nThe state sent $15 million.\n"
            "RESCUE EFFORTS\nHelicopters rescued 1,100 people.\nWhy did it happen? Nobody knows yet?\nExperts disagree.\n"
            "Background and Context\nFloods are common here.")
    rep = parse_report(text)
    assert [h for h, _ in rep.sections] == ["Casualties and Damage", "What Happens Next?", "Aid", "RESCUE EFFORTS"]
    assert rep.sections[-1][1].endswith("Experts disagree.")  # a question in a sentence is no heading
    assert rep.context == "Floods are common here."


def test_a_list_inside_a_section_stays_in_its_body():
    rep = parse_report("Plan Unveiled\nThe plan was unveiled.\nFull Report\nThe Measures\nThe plan has five parts:\n"
                       "- Hire 5,000 nurses\n- Open 40 clinics\nReaction\nUnions welcomed it.")
    assert [h for h, _ in rep.sections] == ["The Measures", "Reaction"]
    assert "- Open 40 clinics" in rep.sections[0][1]


def test_a_report_without_a_title_keeps_its_first_sentence():
    rep = parse_report("A former treasurer of the charity was convicted on Friday of stealing hundreds of thousands "
                       "of pounds from it.\nFull Report\nThe Verdict\nThe jury took two days.")
    assert rep.title == "" and rep.lede.startswith("A former treasurer")
    assert parse_report("Short Title\nThe lede.\nFull Report\nS\nBody.").title == "Short Title"
    assert parse_report("Can Lumen Beat Nvidia?\nFull Report\nS\nBody.").title == "Can Lumen Beat Nvidia?"
    assert parse_report("The council voted 7-2 for the plan.\nFull Report\nS\nBody.").title == ""


def test_format_report_round_trip():
    text = format_report("A title", "A lede.", ["One.", "Two."], [("Head", "Body one.")], "Earlier.")
    rep = parse_report(text)
    assert (rep.title, rep.lede, rep.key_developments, rep.sections, rep.context) == (
        "A title", "A lede.", ["One.", "Two."], [("Head", "Body one.")], "Earlier.")


# ---- fuzz: parse_report never raises, and every part it returns comes from the input ---------
_LINES = st.sampled_from(["Key Developments", "KEY DEVELOPMENTS:", "## Key Developments", "**Full Report**",
                          "Full Report", "Context & Previous Events", "Background:", "# Title", "- ", "* item",
                          "1. one", "2) two", "(a) x", "• dot", "Heading", "A sentence.", "", " ", "\t"])
_ODD = st.sampled_from(["\r\n", "\r", "\n", "\f", "\u2028", "\x85", "\ufeff", "\x00", "#", "*", "-", ":"])
REPORT_TEXT = st.lists(st.one_of(_LINES.map(lambda l: l + "\n"), _ODD, st.text(max_size=12)), max_size=25).map("".join)


def _check_parse(text: str) -> None:
    rep = parse_report(text)
    parts = [rep.title, rep.lede, rep.context, rep.text, *rep.key_developments,
             *(p for section in rep.sections for p in section)]
    for part in parts:
        assert isinstance(part, str) and "\r" not in part
        for token in part.split():
            assert token in text, (token, text)
    assert all(b.strip() for b in rep.key_developments)
    assert isinstance(rep.is_structured, bool) and rep.reference == "\n".join(rep.key_developments)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(REPORT_TEXT)
def test_fuzz_parse_report(text):
    _check_parse(text)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(REPORT_TEXT)
def test_fuzz_parse_report_10k(text):
    _check_parse(text)
