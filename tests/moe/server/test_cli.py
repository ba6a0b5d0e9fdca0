from click.testing import CliRunner

from moe.server import cli


def test_serve_command_passes_host_and_port(monkeypatch):
    calls = []
    monkeypatch.setattr("moe.server.serve", lambda **kw: calls.append(kw))
    runner = CliRunner()
    assert runner.invoke(cli.serve_command, []).exit_code == 0
    assert runner.invoke(cli.serve_command, ["--host", "0.0.0.0", "--port", "9001"]).exit_code == 0
    assert calls == [{"host": "127.0.0.1", "port": 8000}, {"host": "0.0.0.0", "port": 9001}]
    bad = runner.invoke(cli.serve_command, ["--port", "0"])
    assert bad.exit_code == 2 and "port" in bad.output.lower()
