from click.testing import CliRunner

from moe.server import ServerLimits, cli


def test_serve_command_passes_host_and_port(monkeypatch):
    calls = []
    monkeypatch.setattr("moe.server.serve", lambda **kw: calls.append(kw))
    runner = CliRunner()
    assert runner.invoke(cli.serve_command, []).exit_code == 0
    assert runner.invoke(cli.serve_command, ["--host", "0.0.0.0", "--port", "9001"]).exit_code == 0
    assert runner.invoke(cli.serve_command, ["--max-prompts", "100", "--max-choices", "200",
                                             "--body-timeout", "2.5"]).exit_code == 0
    default = ServerLimits()
    assert calls == [{"host": "127.0.0.1", "port": 8000, "limits": default},
                     {"host": "0.0.0.0", "port": 9001, "limits": default},
                     {"host": "127.0.0.1", "port": 8000, "limits": ServerLimits(
                         max_prompts=100, max_choices=200, body_timeout_s=2.5)}]
    bad = runner.invoke(cli.serve_command, ["--port", "0"])
    assert bad.exit_code == 2 and "port" in bad.output.lower()
