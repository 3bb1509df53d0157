"""Which version of a store to open (Icechunk branch, tag or snapshot) and what versions exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vstore_explorer.errors import InvalidInputError


@dataclass(frozen=True)
class Version:
    """An Icechunk branch, tag or snapshot id; at most one is set (none means branch ``main``).

    Example:
        >>> Version(tag="v1").label
        'tag v1'
    """

    branch: str | None = None
    tag: str | None = None
    snapshot: str | None = None

    def __post_init__(self) -> None:
        given = [k for k in ("branch", "tag", "snapshot") if getattr(self, k)]
        if len(given) > 1:
            raise InvalidInputError(
                f"give only one of branch=, tag= or snapshot= (got {', '.join(given)})"
            )
        for key in given:
            value = getattr(self, key)
            if not isinstance(value, str) or not value.strip() or any(c in value for c in "\n\r\0"):
                raise InvalidInputError(f"{key} must be a non-empty single-line string")

    @property
    def label(self) -> str:
        if self.tag:
            return f"tag {self.tag}"
        if self.snapshot:
            return f"snapshot {self.snapshot}"
        return f"branch {self.branch or 'main'}"

    def session_kwargs(self) -> dict[str, str]:
        """Keyword arguments for ``Repository.readonly_session``."""
        if self.tag:
            return {"tag": self.tag}
        if self.snapshot:
            return {"snapshot_id": self.snapshot}
        return {"branch": self.branch or "main"}

    def to_dict(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (("branch", self.branch), ("tag", self.tag), ("snapshot", self.snapshot))
            if v
        }


@dataclass(frozen=True)
class SnapshotEntry:
    """One commit in a branch's history."""

    id: str
    message: str
    written_at: datetime


@dataclass(frozen=True)
class StoreVersions:
    """Branches and tags (name -> snapshot id) and the history of the default branch, newest first."""

    branches: dict[str, str]
    tags: dict[str, str]
    history: tuple[SnapshotEntry, ...]

    @classmethod
    def of_repository(cls, repo: Any, branch: str = "main", limit: int = 200) -> StoreVersions:
        branches = {b: repo.lookup_branch(b) for b in sorted(repo.list_branches())}
        tags = {t: repo.lookup_tag(t) for t in sorted(repo.list_tags())}
        history = []
        if branch in branches:
            for i, snap in enumerate(repo.ancestry(branch=branch)):
                if i >= limit:
                    break
                history.append(SnapshotEntry(snap.id, snap.message, snap.written_at))
        return cls(branches, tags, tuple(history))
