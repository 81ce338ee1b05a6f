"""`nrm actors add|list|revoke`: the actor directory (who may act, with which key). Workers follow the file: a
change reaches every case within NRM_ACTORS_REFRESH (1 s), with nothing sent to the cases."""

from __future__ import annotations

from typing import Annotated

import typer

from plumbing.actor_directory import load_directory
from plumbing.settings import Settings
from starter.actors import add_actor, private_key_path, revoke_actor
from starter.cli.common import JsonOpt, actor, emit, out, runs, settings

app = typer.Typer(help="Actors: who may act on cases, verified by their signing keys.", no_args_is_help=True)


def _workers_follow(settings: Settings) -> str:
    return (
        f"workers on this directory follow it: the change applies to every case within "
        f"{settings.actors_refresh.total_seconds():g} s"
    )


@app.command("add")
@runs
def actors_add(
    who: Annotated[str, typer.Argument(help="ROLE:ID, e.g. competent_authority:ca-3")],
    public_key: Annotated[
        str | None,
        typer.Option(
            help="The actor's own Ed25519 public key (base64, raw 32 bytes); without it a key pair is made here."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register an actor (with a new signing key in NRM_HOME/actors/ID.key unless --public-key is given)."""
    current = settings()
    entry = add_actor(current, actor(who), public_key)
    where = "its own key" if public_key else f"signing key {private_key_path(current, entry.id)}"
    emit(
        as_json,
        {"id": entry.id, "role": entry.role.value, "directory": str(current.actors_path)},
        lambda: out.print(
            f"added {entry.role.value}:{entry.id} to {current.actors_path} ({where})\n{_workers_follow(current)}"
        ),
    )


@app.command("revoke")
@runs
def actors_revoke(actor_id: Annotated[str, typer.Argument(help="The actor's id")], as_json: JsonOpt = False) -> None:
    """Revoke an actor: their assertions are refused from now on (their past acts stay in the record)."""
    current = settings()
    entry = revoke_actor(current, actor_id)
    assert entry.revoked_at is not None
    emit(
        as_json,
        {"id": entry.id, "role": entry.role.value, "revoked_at": entry.revoked_at.isoformat()},
        lambda: out.print(
            f"revoked {entry.role.value}:{entry.id} at {entry.revoked_at:%Y-%m-%d %H:%M:%S} UTC\n"
            f"{_workers_follow(current)}"
        ),
    )


@app.command("list")
@runs
def actors_list(as_json: JsonOpt = False) -> None:
    """The actor directory: id, role, and whether revoked."""
    directory = load_directory(settings().actors_path)
    rows = [
        {
            "id": e.id,
            "role": e.role.value,
            "added_at": e.added_at.isoformat(),
            "revoked_at": e.revoked_at.isoformat() if e.revoked_at else None,
        }
        for e in directory.actors.values()
    ]

    def human() -> None:
        for r in rows:
            out.print(f"{r['role']}:{r['id']}" + (f"  REVOKED {r['revoked_at']}" if r["revoked_at"] else ""))

    emit(as_json, rows, human)
