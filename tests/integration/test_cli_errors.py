"""Errors always speak: whatever goes wrong, `nrm` prints one `error:` line on stderr naming the cause (a JSON
object with --json, the traceback first with --debug) and exits with the code of README "Exit codes"."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from temporalio.testing import WorkflowEnvironment

from starter.up import temporal_binary
from tests.devserver import address
from tests.integration.nrm_cli import NRM, free_port, run_nrm

BAD_INPUT, UNAVAILABLE = 2, 5


@contextmanager
def listening() -> Iterator[int]:
    """A port some other process holds."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


async def test_bad_settings_name_the_variable_and_exit_2(cli_env: dict[str, str]) -> None:
    runs = await asyncio.gather(
        run_nrm("cases", "list", env=cli_env | {"NRM_LOG_FORMAT": "xml"}),
        run_nrm("policies", "list", env=cli_env | {"NRM_SMTP_PORT": "abc"}),
        run_nrm("policies", "list", env=cli_env | {"NRM_DIGEST_HOUR": "25"}),
        run_nrm("schedules", "apply", env=cli_env | {"NRM_DIGEST_TIMEZONE": "Europe/Bucharestt"}),
        run_nrm("setup", env=cli_env | {"NRM_DIGEST_TIMEZONE": "Europe/Bucharestt"}),  # refused before the server
    )
    assert [r.error_line(BAD_INPUT) for r in runs] == [
        "error: invalid setting NRM_LOG_FORMAT: Input should be 'console' or 'json'",
        "error: invalid setting NRM_SMTP_PORT: Input should be a valid integer, unable to parse string as an integer",
        "error: invalid setting NRM_DIGEST_HOUR: Input should be less than or equal to 23",
        "error: invalid setting NRM_DIGEST_TIMEZONE: not a time zone of the IANA database (e.g. Europe/Bucharest, UTC)",
        "error: invalid setting NRM_DIGEST_TIMEZONE: not a time zone of the IANA database (e.g. Europe/Bucharest, UTC)",
    ]


async def test_json_errors_are_an_object_on_stderr(cli_env: dict[str, str]) -> None:
    bad_setting, usage = await asyncio.gather(
        run_nrm("policies", "list", "--json", env=cli_env | {"NRM_SMTP_PORT": "abc"}),
        run_nrm("case", "show", "--json", env=cli_env),
    )
    assert bad_setting.error_json(BAD_INPUT) == {
        "error": "invalid setting NRM_SMTP_PORT: Input should be a valid integer, unable to parse string as an integer",
        "kind": "bad_input",
        "exit_code": 2,
    }
    assert usage.error_json(BAD_INPUT) == {
        "error": "Missing argument 'reference'.",
        "kind": "bad_input",
        "exit_code": 2,
    }


async def test_debug_shows_the_traceback_before_the_error_line(cli_env: dict[str, str]) -> None:
    env = cli_env | {"NRM_LOG_FORMAT": "xml"}
    flag, variable = await asyncio.gather(
        run_nrm("--debug", "cases", "list", env=env), run_nrm("cases", "list", env=env | {"NRM_DEBUG": "1"})
    )
    for run in (flag, variable):
        assert run.code == BAD_INPUT and run.out == ""
        assert run.err.startswith("Traceback (most recent call last):"), run.err
        assert run.err.splitlines()[-1] == "error: invalid setting NRM_LOG_FORMAT: Input should be 'console' or 'json'"


async def test_a_missing_namespace_is_told_by_commands_and_the_worker(cli_env: dict[str, str]) -> None:
    env = cli_env | {"TEMPORAL_NAMESPACE": "nope"}
    listed, worker = await asyncio.gather(run_nrm("cases", "list", env=env), run_nrm("worker", env=env))
    expected = f"error: namespace nope does not exist on {cli_env['TEMPORAL_ADDRESS']} (TEMPORAL_NAMESPACE)"
    assert listed.error_line(UNAVAILABLE) == expected
    assert worker.error_line(UNAVAILABLE) == expected


async def test_an_unreachable_server_exits_5(cli_env: dict[str, str]) -> None:
    run = await run_nrm("cases", "list", "--json", env=cli_env | {"TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"})
    error = run.error_json(UNAVAILABLE)
    assert error["kind"] == "unavailable" and error["error"].startswith("cannot reach Temporal at 127.0.0.1:")


async def test_a_server_without_nrmflows_search_attributes(cli_env: dict[str, str]) -> None:
    bare = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), dev_server_log_level="error"
    )
    try:
        run = await run_nrm("cases", "list", "--overdue", env=cli_env | {"TEMPORAL_ADDRESS": address(bare)})
    finally:
        await bare.shutdown()
    assert run.error_line(UNAVAILABLE) == (
        "error: the server has no search attribute NrmNextDeadline: register nrmflow's search attributes with "
        "`nrm setup` (`nrm up` starts its server with them)"
    )


async def test_a_taken_port_is_refused_by_the_codec_server_and_nrm_up(cli_env: dict[str, str]) -> None:
    with listening() as taken:
        codec, up, ui = await asyncio.gather(
            run_nrm("codec-server", env=cli_env | {"NRM_CODEC_PORT": str(taken)}),
            run_nrm("up", "--port", str(taken), "--headless", env=cli_env),
            run_nrm("up", "--port", str(free_port()), "--ui-port", str(taken), env=cli_env),
        )
    assert codec.error_line(BAD_INPUT) == (
        f"error: port {taken} on 127.0.0.1 (the codec server: NRM_CODEC_PORT) is already in use by another process: "
        "stop it or choose another port"
    )
    assert up.error_line(BAD_INPUT) == (
        f"error: port {taken} on 127.0.0.1 (the Temporal frontend: --port) is already in use by another process: "
        "stop it or choose another port"
    )
    assert ui.error_line(BAD_INPUT).startswith(f"error: port {taken} on 127.0.0.1 (the Web UI: --ui-port or ")


async def test_sigterm_stops_the_worker_gracefully_with_exit_0(cli_env: dict[str, str]) -> None:
    env = cli_env | {"NRM_TASK_QUEUE": f"{cli_env['NRM_TASK_QUEUE']}-sigterm"}  # no task of the session's
    proc = await asyncio.create_subprocess_exec(
        NRM, "worker", env=env, cwd=env["NRM_HOME"], stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert proc.stderr is not None
    try:
        seen = b""
        while b"worker started" not in seen:
            line = await asyncio.wait_for(proc.stderr.readline(), 30)
            assert line, seen.decode()
            seen += line
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert b"worker stopped" in err and b"error" not in err.lower()
