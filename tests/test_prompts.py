import pytest
from transformers import AutoTokenizer, BartConfig, LlamaConfig, MT5Config, PegasusConfig, T5Config

from summarizer import prompts

REPORT = "  The council voted 7-2 on Tuesday to approve the $62 million bridge.\nWork starts in May.\n\n"

# model_type strings as transformers spells them, so a renamed family would show up here
BART, PEGASUS, T5, MT5 = (c.model_type for c in (BartConfig, PegasusConfig, T5Config, MT5Config))


@pytest.mark.parametrize("n", [1, 3, 7])
def test_chat_messages(n):
    system, user = prompts.chat_messages(REPORT, n)
    assert system == {"role": "system", "content": prompts.SYSTEM_PROMPT}
    assert user["role"] == "user"
    assert f"at most {n} bullet points" in user["content"]
    assert user["content"].startswith(prompts.instruction(n))
    assert user["content"].endswith("Report:\n" + REPORT.strip())  # the report goes last, stripped


def test_bullet_count_changes_only_the_count():
    three, five = (prompts.chat_messages(REPORT, n)[1]["content"] for n in (3, 5))
    assert three.replace("at most 3 ", "at most 5 ") == five


def test_chat_template_renders_the_prompt(tiny_causal):
    tok = AutoTokenizer.from_pretrained(tiny_causal)
    prompt = tok.apply_chat_template(prompts.chat_messages(REPORT, 4), tokenize=False,
                                     add_generation_prompt=True)
    assert prompts.SYSTEM_PROMPT in prompt and "at most 4 bullet points" in prompt
    assert prompt.index(prompts.SYSTEM_PROMPT) < prompt.index(REPORT.strip())
    assert prompt.endswith("<|im_start|>assistant\n")


@pytest.mark.parametrize("model_type", [T5, MT5, "umt5", "longt5"])
def test_t5_family_gets_its_task_prefix(model_type):
    assert prompts.seq2seq_source(REPORT, model_type) == "summarize: " + REPORT.strip()


@pytest.mark.parametrize("model_type", [BART, PEGASUS])
def test_bart_and_pegasus_read_the_text_as_is(model_type):
    assert prompts.seq2seq_source(REPORT, model_type) == REPORT.strip()


def test_explicit_prefix_wins():
    assert prompts.seq2seq_source(REPORT, BART, prefix="headline: ") == "headline: " + REPORT.strip()
    assert prompts.seq2seq_source(REPORT, T5, prefix="") == REPORT.strip()  # "" turns the prefix off


@pytest.mark.parametrize("model_type, family, sep", [
    ("llama", "causal", "\n"), (T5, "causal", "\n"), (BART, "seq2seq", "\n"),
    (PEGASUS, "seq2seq", "<n>"), (T5, "seq2seq", " "), (MT5, "seq2seq", " ")])
def test_bullet_separator(model_type, family, sep):
    assert prompts.bullet_separator(model_type, family) == sep


BULLETS = ["  The council approved the bridge. ", "", "Work starts in May", "   ", "Cost: $62 million!"]


def test_format_target_per_family():
    assert prompts.format_target(BULLETS, LlamaConfig.model_type, "causal") == (
        "- The council approved the bridge.\n- Work starts in May\n- Cost: $62 million!")
    assert prompts.format_target(BULLETS, BART, "seq2seq") == (
        "The council approved the bridge.\nWork starts in May\nCost: $62 million!")
    assert prompts.format_target(BULLETS, PEGASUS, "seq2seq") == (
        "The council approved the bridge.<n>Work starts in May<n>Cost: $62 million!")
    # T5 joins with spaces, so each bullet must end its sentence to be split back apart
    assert prompts.format_target(BULLETS, T5, "seq2seq") == (
        "The council approved the bridge. Work starts in May. Cost: $62 million!")


def test_t5_target_adds_no_stop_after_a_closing_quote_or_bracket():
    bullets = ['The mayor said "it is over."', "Fares rise (by 5%.)", "Work starts \"soon\""]
    assert prompts.format_target(bullets, T5, "seq2seq") == (
        'The mayor said "it is over." Fares rise (by 5%.) Work starts "soon".')


def test_format_target_of_no_bullets_is_empty():
    for model_type, family in [("llama", "causal"), (BART, "seq2seq"), (T5, "seq2seq")]:
        assert prompts.format_target(["", "  "], model_type, family) == ""
