"""The caller's API keys, and ready-to-paste configurations filled with this server's URL."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from etagere.console.render import page
from etagere.console.session import SessionDep, checked_form
from etagere.http.state import services

router = APIRouter(include_in_schema=False)
PLACEHOLDER = "etg_YOUR_KEY"


@router.get("/keys")
def keys(request: Request, session: SessionDep) -> Response:
    return _keys_page(request, session)


@router.post("/keys")
async def create_key(request: Request, session: SessionDep) -> Response:
    """The new key's secret is shown in this response only; it is stored hashed."""
    form = await checked_form(request, session)
    issued = services(request).identity.create_own_key(
        session.caller, str(form.get("name", "")) or "console"
    )
    return _keys_page(request, session, new_secret=issued.secret, new_name=issued.key.name)


@router.post("/keys/{key_id}/revoke")
async def revoke_key(request: Request, session: SessionDep, key_id: str) -> Response:
    await checked_form(request, session)
    services(request).identity.revoke_own_key(session.caller, key_id)
    return RedirectResponse("/keys?notice=key_revoked", status_code=303)


def _keys_page(
    request: Request,
    session: SessionDep,
    new_secret: str | None = None,
    new_name: str | None = None,
) -> Response:
    listing = services(request).identity.own_keys(session.caller)
    base = str(request.base_url).rstrip("/")
    key = new_secret or PLACEHOLDER
    return page(
        request,
        "keys.html",
        keys=listing,
        current_key_id=session.caller.key_id,
        new_secret=new_secret,
        new_name=new_name,
        configs=connection_configs(base, key),
    )


def connection_configs(base: str, key: str) -> list[tuple[str, str, str]]:
    """(id, title, text) of each client configuration, filled with the URL and key."""
    mcp_url = f"{base}/mcp"
    bearer = f"Bearer {key}"
    sdk = (
        "from mistralai.client import Mistral\n\n"
        f'client = Mistral(api_key="{key}", server_url="{base}")\n'
        "for library in client.beta.libraries.list().data:\n"
        "    print(library.id, library.name)\n"
    )
    claude_desktop = {
        "mcpServers": {
            "etagere": {
                "command": "npx",
                "args": ["-y", "mcp-remote", mcp_url, "--header", f"Authorization:{bearer}"],
            }
        }
    }
    vscode = {
        "servers": {
            "etagere": {"type": "http", "url": mcp_url, "headers": {"Authorization": bearer}}
        }
    }
    claude_code = (
        f'claude mcp add --transport http etagere {mcp_url} --header "Authorization: {bearer}"'
    )
    tool = (
        "import httpx\n\n"
        f'ETAGERE = "{base}/v1/tools/document_library"\n'
        f'etagere = httpx.Client(headers={{"Authorization": "{bearer}"}})\n'
        "tool = etagere.get(ETAGERE).json()  # pass as tools=[tool] to the model\n"
        "# then, for each tool call: etagere.post(ETAGERE, content=call.function.arguments)\n"
    )
    return [
        ("sdk", "Python SDK (mistralai)", sdk),
        ("claude-desktop", "Claude Desktop (claude_desktop_config.json)", _json(claude_desktop)),
        ("vscode", "VS Code (.vscode/mcp.json)", _json(vscode)),
        ("claude-code", "Claude Code", claude_code),
        ("tool", "Function tool (any chat model)", tool),
    ]


def _json(value: object) -> str:
    return json.dumps(value, indent=2)
