import pytest

from bench import preflight_vs_check as bench

pytestmark = pytest.mark.integration


def test_one_round_prints_every_figure(capsys):
    status = bench.main(["--runs", "1", "--timeout", "1"])
    out = capsys.readouterr().out
    assert "preflight  median" in out and "check      median" in out
    assert "ratio      wall" in out
    assert out.count("all hung (") == 2
    assert status == (0 if out.rstrip().endswith("targets met") else 1)


def test_missed_targets_exit_1(monkeypatch, capsys):
    monkeypatch.setattr(bench, "WALL_TARGET", 0.01)
    assert bench.main(["--runs", "1", "--timeout", "1"]) == 1
    assert capsys.readouterr().out.rstrip().endswith("TARGETS MISSED")


def test_silent_listeners_accept_and_close():
    import socket

    silent = bench.Silent(1)
    client = socket.create_connection(("127.0.0.1", silent.ports[0]), timeout=2)
    client.settimeout(0.2)
    with pytest.raises(TimeoutError):
        client.recv(1)
    client.close()
    silent.close()
