"""Project config discovery and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from nn_doctor.errors import ConfigError
from nn_doctor.settings import find_config, load_settings


def test_found_walking_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".nn-doctor.yaml").write_text(
        "ignore: [unshuffled_data]\nsignals: {grad_norm: [gn]}\n"
    )
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    monkeypatch.delenv("NN_DOCTOR_CONFIG", raising=False)
    assert find_config() == tmp_path / ".nn-doctor.yaml"
    s = load_settings()
    assert s.ignore == ["unshuffled_data"] and s.aliases == {"grad_norm": ["gn"]}


def test_unknown_key_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("ignroe: [x]\n")
    with pytest.raises(ConfigError, match="ignroe"):
        load_settings(cfg)


def test_hparams_file_and_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NN_DOCTOR_CONFIG", raising=False)
    hp = tmp_path / "hp.yaml"
    hp.write_text("learning_rate: 0.3\nbatch_size: 8\n")
    s = load_settings(hparams=hp, set_=["batch_size=16"])
    assert s.config_overrides == {"lr": 0.3, "batch_size": 16}
