"""Bad profiles and sheets: one clear error that names the field, its line, and the fix."""

import re

import pytest
from click.testing import CliRunner

from pipelines.cost import load_profile, load_sheet
from pipelines.cost.cli import cost
from pipelines.cost.profiles import GPU_CATALOGUE, PROFILES_DIR, gpu_catalogue
from pipelines.errors import InputError

GOOD = (PROFILES_DIR / "deepseek-v3-h800-ep144.yaml").read_text()


def write(tmp_path, text, name="p.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def edit(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def line_no(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def only_error(path) -> str:
    with pytest.raises(InputError) as info:
        load_profile(path)
    message = str(info.value)
    assert len(re.findall(r"\.yaml:\d+ field ", message)) == 1, message  # exactly one problem
    return message


def test_missing_field(tmp_path):
    text = edit("  hidden: 7168\n", "")
    message = only_error(write(tmp_path, text))
    assert "field model.hidden" in message and "required field is missing" in message
    assert f"p.yaml:{line_no(text, 'model:')}" in message  # the mapping that lacks it
    assert "add `model.hidden`" in message


def test_negative_field(tmp_path):
    text = edit("  layers: 61", "  layers: -61")
    message = only_error(write(tmp_path, text))
    assert f"p.yaml:{line_no(text, 'layers: -61')} field model.layers" in message
    assert "greater than 0" in message and "-61" in message


def test_unknown_gpu_lists_the_known_ones(tmp_path):
    text = edit("gpu: H800", "gpu: H900")
    message = only_error(write(tmp_path, text))
    assert f"p.yaml:{line_no(text, 'H900')} field hardware.gpu" in message
    assert "unknown GPU 'H900'" in message
    for known in ("A100", "H100", "H200", "H800"):
        assert known in message


def test_fewer_experts_than_top_k(tmp_path):
    text = edit("routed_experts: 256", "routed_experts: 4")
    message = only_error(write(tmp_path, text))
    assert f"p.yaml:{line_no(text, 'top_k: 8')} field model.top_k" in message
    assert "top_k (8) exceeds routed_experts E (4)" in message


def test_unknown_field_is_named(tmp_path):
    message = only_error(write(tmp_path, edit("  hidden: 7168", "  hiden: 7168\n  hidden: 7168")))
    assert "field model.hiden" in message and "unknown field" in message


def test_batch_and_speed_target_together(tmp_path):
    message = only_error(write(tmp_path, edit("  batch_per_gpu: 128",
                                              "  batch_per_gpu: 128\n  tps_per_user: 20")))
    assert "field deployment" in message and "exactly one of `batch_per_gpu`" in message


def test_gpu_figures_may_be_overridden(tmp_path):
    p = load_profile(write(tmp_path, edit("gpu: H800", "gpu: H800\n  scale_out_gb_s: 50")))
    assert p.hardware.scale_out_gb_s == 50 and p.hardware.scale_up_gb_s == 160


def test_shipped_catalogue_is_valid_and_a_broken_one_is_named(tmp_path):
    assert {"H100", "H800", "H200"} <= set(gpu_catalogue())
    broken = GPU_CATALOGUE.read_text().replace("memory_gb: 141", "memory_gb: -141")
    path = write(tmp_path, broken, "gpus.yaml")
    with pytest.raises(InputError, match=rf"gpus\.yaml:{line_no(broken, '-141')} field "
                                         r"H200\.memory_gb"):
        gpu_catalogue(path)


def test_cli_reports_the_error_and_exits_2(tmp_path):
    path = write(tmp_path, edit("top_k: 8", "top_k: 300"))
    result = CliRunner().invoke(cost, ["explain", str(path)])
    assert result.exit_code == 2
    assert re.search(r"p\.yaml:\d+ field model\.top_k", result.output)


def test_overlapping_sheet_periods(tmp_path):
    path = write(tmp_path, "name: s\nversion: '1'\nmodels:\n  m:\n    periods:\n"
                           "      - {from: '2025-01-01', rates: {input_miss: 1, output: 2}}\n"
                           "      - {from: '2025-02-01', rates: {input_miss: 1, output: 2}}\n")
    with pytest.raises(InputError, match=r"p\.yaml:4 field models\.m: periods from 2025-01-01 and 2025-02-01 overlap"):
        load_sheet(path)


def test_window_needs_a_multiplier_or_rates(tmp_path):
    path = write(tmp_path, "name: s\nversion: '1'\nmodels:\n  m:\n    periods:\n"
                           "      - from: '2025-01-01'\n        rates: {input_miss: 1, output: 2}\n"
                           "        windows: [{start: '01:00', end: '02:00'}]\n")
    with pytest.raises(InputError, match="exactly one of `multiplier` or `rates`"):
        load_sheet(path)


def test_unquoted_clock_time_still_means_the_clock(tmp_path):
    # YAML 1.1 reads 16:30 as the base-60 integer 990; the sheet still means 16:30 UTC
    path = write(tmp_path, "name: s\nversion: '1'\nmodels:\n  m:\n    periods:\n"
                           "      - from: '2025-01-01'\n        rates: {input_miss: 1, output: 2}\n"
                           "        windows: [{start: 16:30, end: '00:30', multiplier: 0.5}]\n")
    window = load_sheet(path).models["m"].periods[0].windows[0]
    assert (window.start.hour, window.start.minute) == (16, 30)


def test_negative_rate_in_sheet(tmp_path):
    path = write(tmp_path, "name: s\nversion: '1'\nmodels:\n  m:\n    periods:\n"
                           "      - from: '2025-01-01'\n        rates: {input_miss: -1, output: 2}\n")
    with pytest.raises(InputError, match=r"p\.yaml:7 field models\.m\.periods\.0\.rates\.input_miss"):
        load_sheet(path)
