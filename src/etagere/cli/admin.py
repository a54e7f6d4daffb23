"""``etagere admin``: manage organizations, workspaces, users and API keys."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from etagere.cli.options import build_settings, emit, store_options
from etagere.core.errors import DomainError
from etagere.domain.identity import IdentityService
from etagere.storage.data_dir import prepare_data_dir
from etagere.storage.metadata import Database


@click.group()
def admin() -> None:
    """Manage identities directly in the metadata store."""


Action = Callable[[IdentityService], tuple[dict[str, Any], str]]


def _run(as_json: bool, flags: dict[str, Any], action: Action) -> None:
    settings = build_settings(**flags)
    prepare_data_dir(settings.data_dir)
    db = Database(settings.resolved_database_url())
    db.migrate()
    try:
        data, text = action(IdentityService(db))
    except DomainError as exc:
        emit(as_json, {"error": exc.code, "detail": exc.message}, f"error: {exc.message}")
        sys.exit(1)
    finally:
        db.close()
    emit(as_json, data, text)


@admin.command("create-org")
@click.argument("name")
@store_options
def create_org(name: str, as_json: bool, **flags: Any) -> None:
    """Create an organization."""

    def action(svc: IdentityService) -> tuple[dict[str, Any], str]:
        org = svc.create_organization(name)
        return {"id": org.id, "name": org.name}, f"organization {org.name} {org.id}"

    _run(as_json, flags, action)


@admin.command("create-workspace")
@click.option("--org", "org", required=True, help="Organization id or name.")
@click.argument("name")
@store_options
def create_workspace(org: str, name: str, as_json: bool, **flags: Any) -> None:
    """Create a workspace in an organization."""

    def action(svc: IdentityService) -> tuple[dict[str, Any], str]:
        ws = svc.create_workspace(org, name)
        data = {"id": ws.id, "name": ws.name, "org_id": ws.org_id}
        return data, f"workspace {ws.name} {ws.id}"

    _run(as_json, flags, action)


@admin.command("create-user")
@click.option("--org", "org", required=True, help="Organization id or name.")
@click.option("--workspace", default=None, help="Workspace (id or name) to add the user to.")
@click.argument("email")
@store_options
def create_user(org: str, workspace: str | None, email: str, as_json: bool, **flags: Any) -> None:
    """Create a user, optionally as a member of a workspace."""

    def action(svc: IdentityService) -> tuple[dict[str, Any], str]:
        user = svc.create_user(org, email, workspace)
        data = {"id": user.id, "email": user.email, "org_id": user.org_id}
        return data, f"user {user.email} {user.id}"

    _run(as_json, flags, action)


@admin.command("create-key")
@click.option("--user", "user", required=True, help="User id or e-mail.")
@click.option("--workspace", default=None, help="Workspace the key acts in (id or name).")
@click.option("--name", default="default", show_default=True, help="A label for the key.")
@store_options
def create_key(user: str, workspace: str | None, name: str, as_json: bool, **flags: Any) -> None:
    """Create an API key; the key is printed once and stored only as a hash."""

    def action(svc: IdentityService) -> tuple[dict[str, Any], str]:
        issued = svc.create_key(user, workspace, name)
        data = {
            "id": issued.key.id,
            "key": issued.secret,
            "user_id": issued.key.user_id,
            "workspace_id": issued.key.workspace_id,
            "name": issued.key.name,
        }
        return data, f"{issued.secret}\n(key id {issued.key.id}; shown once, store it now)"

    _run(as_json, flags, action)


@admin.command("add-member")
@click.option("--workspace", required=True, help="Workspace id or name.")
@click.argument("user")
@store_options
def add_member(workspace: str, user: str, as_json: bool, **flags: Any) -> None:
    """Add a user (id or e-mail) to a workspace of its organization."""

    def action(svc: IdentityService) -> tuple[dict[str, Any], str]:
        ws, member = svc.add_member(workspace, user)
        data = {"workspace_id": ws.id, "workspace": ws.name, "user_id": member.id}
        return data, f"{member.email} is now a member of {ws.name}"

    _run(as_json, flags, action)


@admin.command("remove-member")
@click.option("--workspace", required=True, help="Workspace id or name.")
@click.argument("user")
@store_options
def remove_member(workspace: str, user: str, as_json: bool, **flags: Any) -> None:
    """Remove a user from a workspace; its keys acting in that workspace stop working at once."""

    def action(svc: IdentityService) -> tuple[dict[str, Any], str]:
        ws, member = svc.remove_member(workspace, user)
        data = {"workspace_id": ws.id, "workspace": ws.name, "user_id": member.id}
        return data, f"{member.email} is no longer a member of {ws.name}"

    _run(as_json, flags, action)


@admin.command("revoke-key")
@click.argument("key_id")
@store_options
def revoke_key(key_id: str, as_json: bool, **flags: Any) -> None:
    """Revoke an API key by id; requests with it are refused (401) at once."""

    def action(svc: IdentityService) -> tuple[dict[str, Any], str]:
        key = svc.revoke_key(key_id)
        data = {"id": key.id, "name": key.name, "revoked_at": key.revoked_at}
        return data, f"key {key.id} ({key.name}) revoked at {key.revoked_at}"

    _run(as_json, flags, action)


@admin.command("list-keys")
@click.option("--user", "user", default=None, help="Only this user's keys (id or e-mail).")
@store_options
def list_keys(user: str | None, as_json: bool, **flags: Any) -> None:
    """List API keys (id, name, prefix, user, workspace, dates); never the keys themselves."""

    def action(svc: IdentityService) -> tuple[dict[str, Any], str]:
        rows = [
            {
                "id": listing.key.id,
                "name": listing.key.name,
                "prefix": listing.key.prefix,
                "user_id": listing.key.user_id,
                "user": listing.user_email,
                "workspace_id": listing.key.workspace_id,
                "workspace": listing.workspace_name,
                "created_at": listing.key.created_at,
                "revoked_at": listing.key.revoked_at,
            }
            for listing in svc.list_keys(user)
        ]
        lines = [
            f"{r['id']}  {r['prefix']}...  {r['name']}  {r['user']}  {r['workspace']}  "
            f"created {r['created_at']}"
            + (f"  revoked {r['revoked_at']}" if r["revoked_at"] else "")
            for r in rows
        ]
        return {"keys": rows}, "\n".join(lines) or "no keys"

    _run(as_json, flags, action)
