"""Wire models of ``/v1/libraries/{id}/share`` (SDK models ``Sharing``, ``SharingRequest``...)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from etagere.core.model import Role, Share, ShareTarget

Level = Literal["Viewer", "Editor"]
TargetType = Literal["User", "Workspace", "Org"]


class SharingOut(BaseModel):
    """One access: a grant, or the owner (``role: "Owner"``). ``org_id`` is always present."""

    library_id: UUID
    org_id: UUID
    role: Literal["Viewer", "Editor", "Owner"]
    share_with_type: TargetType
    share_with_uuid: UUID | None
    user_id: UUID | None = Field(
        default=None, description="Deprecated: the user, when shared with a user"
    )

    @classmethod
    def from_share(cls, share: Share) -> SharingOut:
        is_user = share.target_type is ShareTarget.USER
        return cls(
            library_id=share.library_id,
            org_id=share.org_id,
            role=role_name(share.role),
            share_with_type=share.target_type.value,
            share_with_uuid=share.target_id,
            user_id=share.target_id if is_user else None,
        )


class ListSharingOut(BaseModel):
    data: list[SharingOut]


class SharingIn(BaseModel):
    """``update_or_create``: share with a user, a workspace or the whole org (``Org``)."""

    model_config = ConfigDict(extra="forbid")

    level: Level
    share_with_uuid: UUID = Field(description="The id of the user, workspace or organization")
    share_with_type: TargetType
    org_id: UUID | None = Field(default=None, description="Deprecated; must be the library's org")


class SharingDeleteIn(BaseModel):
    """``delete``: stop sharing with an entity, as returned by the list."""

    model_config = ConfigDict(extra="forbid")

    share_with_uuid: UUID
    share_with_type: TargetType
    org_id: UUID | None = Field(default=None, description="Deprecated; must be the library's org")


def role_name(role: Role) -> Literal["Viewer", "Editor", "Owner"]:
    names: dict[Role, Literal["Viewer", "Editor", "Owner"]] = {
        Role.VIEWER: "Viewer",
        Role.EDITOR: "Editor",
        Role.OWNER: "Owner",
    }
    return names[role]


def role_for_level(level: Level) -> Role:
    return Role.EDITOR if level == "Editor" else Role.VIEWER
