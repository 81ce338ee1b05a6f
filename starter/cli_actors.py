"""`nrm actors add|list|revoke`: the actor directory (who may act, with which key). Workers follow the file: a
change reaches every case within NRM_ACTORS_REFRESH (1 s), with nothing sent to the cases."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from plumbing.actor_directory import load_directory
from starter.actors import add_actor, private_key_path, revoke_actor
from starter.cli import JsonOpt, _actor, _emit, app, fail, out
from plumbing.private_files import PrivateFileError
from plumbing.settings import Settings

actors_app = typer.Typer(help="Actors: who may act on cases, verified by their signing keys.", no_args_is_help=True)
app.add_typer(actors_app, name="actors")


def _workers_follow(settings: Settings) -> None:
    out.print(f"workers on this directory follow it: the change applies to every case within "
              f"{settings.actors_refresh.total_seconds():g} s")


@actors_app.command("add")
def actors_add(
    actor: Annotated[str, typer.Argument(help="ROLE:ID, e.g. competent_authority:ca-3")],
    public_key: Annotated[Optional[str], typer.Option(help="The actor's own Ed25519 public key (base64, raw 32 bytes); "
                                                           "without it a key pair is made here.")] = None,
) -> None:
    """Register an actor (with a new signing key in NRM_HOME/actors/ID.key unless --public-key is given)."""
    settings = Settings()
    who = _actor(actor)
    try:
        entry = add_actor(settings, who, public_key)
    except PrivateFileError as exc:
        fail(str(exc))
    where = "its own key" if public_key else f"signing key {private_key_path(settings, who.id)}"
    out.print(f"added {entry.role.value}:{entry.id} to {settings.actors_path} ({where})")
    _workers_follow(settings)


@actors_app.command("revoke")
def actors_revoke(actor_id: Annotated[str, typer.Argument(help="The actor's id")]) -> None:
    """Revoke an actor: their assertions are refused from now on (their past acts stay in the record)."""
    settings = Settings()
    try:
        entry = revoke_actor(settings, actor_id)
    except PrivateFileError as exc:
        fail(str(exc))
    out.print(f"revoked {entry.role.value}:{entry.id} at {entry.revoked_at:%Y-%m-%d %H:%M:%S} UTC")
    _workers_follow(settings)


@actors_app.command("list")
def actors_list(as_json: JsonOpt = False) -> None:
    """The actor directory: id, role, and whether revoked."""
    settings = Settings()
    try:
        directory = load_directory(settings.actors_path)
    except PrivateFileError as exc:
        fail(str(exc))
    rows = [{"id": e.id, "role": e.role.value, "added_at": e.added_at.isoformat(),
             "revoked_at": e.revoked_at.isoformat() if e.revoked_at else None} for e in directory.actors.values()]
    _emit(as_json, rows, lambda: [out.print(f"{r['role']}:{r['id']}" + (f"  REVOKED {r['revoked_at']}"
                                                                          if r["revoked_at"] else ""))
                                  for r in rows])
