"""Building a cached folder: a killed build leaves nothing half-written, and two builders at
once both end with a complete folder."""

from __future__ import annotations

import pytest

from summarizer.cache import building, cache_dir


def ready(folder):
    return (folder / "weights.bin").exists()


def test_a_build_lands_whole_and_leaves_no_temporary_folder(tmp_path):
    target = tmp_path / "model"
    with building(target, ready) as tmp:
        assert tmp.parent == tmp_path and tmp != target and not target.exists()
        (tmp / "weights.bin").write_text("new")
    assert (target / "weights.bin").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    assert target.stat().st_mode & 0o755 == 0o755  # readable by the other users of a shared cache


def test_a_failed_build_leaves_nothing(tmp_path):
    target = tmp_path / "model"
    with pytest.raises(RuntimeError):
        with building(target, ready) as tmp:
            (tmp / "weights.bin").write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_the_second_of_two_builders_keeps_the_first_ones_result(tmp_path):
    target = tmp_path / "model"
    with building(target, ready) as mine:
        (mine / "weights.bin").write_text("mine")
        with building(target, ready) as other:  # another process, finishing first
            (other / "weights.bin").write_text("other")
    assert (target / "weights.bin").read_text() == "other"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_a_broken_folder_is_replaced(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "partial.txt").write_text("no weights")
    with building(target, ready) as tmp:
        (tmp / "weights.bin").write_text("new")
    assert ready(target) and not (target / "partial.txt").exists()


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KD_CACHE", str(tmp_path / "kd"))
    assert cache_dir() == tmp_path / "kd"
    monkeypatch.delenv("KD_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "key-developments"


def test_folders_left_by_killed_builds_are_cleared(tmp_path):
    import os
    import time

    target = tmp_path / "model"
    old, fresh = tmp_path / "model.tmp-killed", tmp_path / "model.tmp-running"  # fresh: another build now
    old.mkdir()
    fresh.mkdir()
    hour_ago = time.time() - 7200
    os.utime(old, (hour_ago, hour_ago))
    with building(target, ready) as tmp:
        (tmp / "weights.bin").write_text("new")
    assert not old.exists() and fresh.exists() and ready(target)
