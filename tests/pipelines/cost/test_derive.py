"""Every shipped sheet and profile loads, and the embedded sheet matches its CPU profile."""

import pytest

from pipelines.cost import load_profile, load_sheet
from pipelines.cost.derive import profile_rates, sheet_from_profile
from pipelines.cost.derive_embedded import SHEET, embedded_sheet_text, main
from pipelines.cost.profiles import PROFILES_DIR
from pipelines.cost.sheets import SHEETS_DIR


@pytest.mark.parametrize("path", sorted(PROFILES_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_profiles_load(path):
    assert profile_rates(load_profile(path)).output > 0


@pytest.mark.parametrize("path", sorted(SHEETS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_sheets_load(path):
    assert load_sheet(path).models


def test_required_profiles_are_shipped():
    names = {load_profile(p).name for p in PROFILES_DIR.glob("*.yaml")}
    assert {"deepseek-v3-h800-ep144", "deepseek-v3-h100-ep16", "qwen3-30b-a3b-h100",
            "embedded-cpu"} <= names


def test_shipped_embedded_sheet_is_up_to_date(capsys):
    assert SHEET.read_text() == embedded_sheet_text()
    assert main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_embedded_sheet_derivation():
    # $0.045/CPU-h * 2 CPUs = $0.000025/s; measured 4,032 output tok/s ->
    # 0.000025 / 4032 * 1e6 = $0.0062004 per 1M output; 11,793 prefill tok/s -> $0.0021199;
    # 195,797 cache-hit tok/s -> $0.000127683 (8 significant digits in the sheet)
    sheet = load_sheet(SHEET)
    assert sheet.endpoint == "embedded"
    rates = sheet.models["moe-tiny"].periods[0].rates
    assert (rates.output, rates.input_miss, rates.input_hit) == (0.0062004, 0.0021199, 0.000127683)
    # measured figures: the version carries no placeholder mark
    assert sheet.version == "embedded-cpu-v1"


def test_check_flags_a_stale_sheet(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "embedded.yaml"
    stale.write_text(SHEET.read_text().replace("output: 0.0062004", "output: 0.3"))
    monkeypatch.setattr("pipelines.cost.derive_embedded.SHEET", stale)
    assert main(["--check"]) == 1
    assert "stale" in capsys.readouterr().out


def test_sheet_from_a_gpu_profile_keeps_aliases():
    profile = load_profile(PROFILES_DIR / "qwen3-30b-a3b-h100.yaml")
    sheet = sheet_from_profile(profile, sheet_name="qwen", endpoint=None)
    assert sheet["models"]["qwen3-30b-a3b"]["aliases"][0] == "Qwen/Qwen3-30B-A3B"
    assert sheet["version"] == "qwen3-30b-a3b-h100-v1"
