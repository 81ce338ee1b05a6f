"""`nrm keys new|rotate`: the payload encryption key file."""

from __future__ import annotations

import typer

from plumbing.codec import KeyRing
from starter.cli.common import JsonOpt, emit, out, runs, settings

app = typer.Typer(help="Payload encryption keys.", no_args_is_help=True)


@app.command("new")
@runs
def keys_new(as_json: JsonOpt = False) -> None:
    """Create the payload encryption key file (NRM_KEY_FILE, default NRM_HOME/keys.json), owner-only."""
    path = settings().key_path
    KeyRing.create(path)
    emit(as_json, {"file": str(path)}, lambda: out.print(f"created {path}"))


@app.command("rotate")
@runs
def keys_rotate(as_json: JsonOpt = False) -> None:
    """Add a new key and make it active for new payloads; older keys stay in the file to read older payloads."""
    path = settings().key_path
    ring = KeyRing.load(path).with_new_active_key()
    ring.save(path)
    emit(
        as_json,
        {"file": str(path), "active": ring.active, "keys": len(ring.keys)},
        lambda: out.print(
            f"new active key {ring.active} in {path} ({len(ring.keys)} keys); restart the workers and clients to use it"
        ),
    )
