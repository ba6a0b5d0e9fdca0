import shutil

from moe.checkpoint import DEFAULT_WEIGHTS_DIR, weights_digest


def test_weights_digest_names_the_bytes_of_a_weights_directory(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(DEFAULT_WEIGHTS_DIR, copy)
    assert weights_digest(copy) == weights_digest(DEFAULT_WEIGHTS_DIR)
    changed = tmp_path / "changed"
    shutil.copytree(DEFAULT_WEIGHTS_DIR, changed)
    data = bytearray((changed / "model.safetensors").read_bytes())
    data[-1] ^= 1  # one bit of one weight
    (changed / "model.safetensors").write_bytes(bytes(data))
    assert weights_digest(changed) != weights_digest(DEFAULT_WEIGHTS_DIR)
