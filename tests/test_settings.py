import pytest
from hypothesis import given, strategies as st

from summarizer.settings import LENGTH_PRESETS, GenerationSettings, SettingsError


def test_defaults_are_valid_and_greedy():
    kw = GenerationSettings().generate_kwargs()
    assert kw["do_sample"] is False and kw["num_beams"] == 1
    assert kw["max_new_tokens"] == LENGTH_PRESETS["medium"][0]


@pytest.mark.parametrize("bad", [
    dict(bullets=0), dict(bullets=99), dict(length="huge"), dict(max_new_tokens=0),
    dict(num_beams=0), dict(min_new_tokens=50, max_new_tokens=10), dict(length_penalty="x"),
    dict(max_new_tokens=10**6), dict(no_repeat_ngram_size=-1), dict(max_input_chars=0),
])
def test_invalid_choices_raise_settings_error(bad):
    with pytest.raises(SettingsError):
        GenerationSettings(**bad).validate()


def test_explicit_small_max_lowers_preset_minimum():
    s = GenerationSettings(length="long", max_new_tokens=5).validate()
    assert s.token_range() == (5, 5)


def test_model_generation_config_is_respected_unless_overridden():
    class Cfg:
        num_beams = 4
    assert GenerationSettings().generate_kwargs(Cfg())["num_beams"] == 4
    assert GenerationSettings(num_beams=2).generate_kwargs(Cfg())["num_beams"] == 2
    assert "no_repeat_ngram_size" not in GenerationSettings().generate_kwargs(Cfg())


def test_with_overrides_ignores_none_and_rejects_unknown():
    s = GenerationSettings().with_overrides(bullets=None, length="short")
    assert s.bullets == GenerationSettings().bullets and s.length == "short"
    with pytest.raises(SettingsError, match="unknown"):
        GenerationSettings().with_overrides(temperature=0.7)


@given(st.integers(1, 20), st.sampled_from(list(LENGTH_PRESETS)), st.one_of(st.none(), st.integers(1, 1024)),
       st.one_of(st.none(), st.integers(0, 1024)), st.one_of(st.none(), st.integers(1, 16)))
def test_any_valid_combination_gives_consistent_kwargs(bullets, length, mx, mn, beams):
    s = GenerationSettings(bullets=bullets, length=length, max_new_tokens=mx, min_new_tokens=mn, num_beams=beams)
    try:
        s.validate()
    except SettingsError:
        assert mn is not None and mn > (mx if mx is not None else LENGTH_PRESETS[length][0])
        return
    kw = s.generate_kwargs()
    assert 0 <= kw["min_new_tokens"] <= kw["max_new_tokens"]
    assert kw["do_sample"] is False
