"""Who may do what: the checks every service that changes state runs on the acting person.

Routes and CLI commands pass the person; the decision is taken here, in the service layer,
so the web, the CLI and the flows get the same answer. Messages name the person, the role
they would need (from the label table) and the act.
"""

from __future__ import annotations

from registry.errors import PermissionDenied
from registry.labels import ROLE
from registry.models import Person


def require_role(actor: Person | None, *roles: str, action: str) -> Person:
    """``actor`` if they are active and hold one of ``roles``; PermissionDenied otherwise.

    ``action`` says what they tried, as it ends the sentence ("gửi lại lượt gửi #12").
    """
    if actor is None:
        raise PermissionDenied(f"cần biết ai {action}: hãy đăng nhập, hoặc dùng --as KHOÁ_CÁN_BỘ")
    if actor.active is False:
        raise PermissionDenied(f"{actor.full_name} không còn làm việc (đã ngừng hoạt động), "
                               f"không được {action}")
    if roles and not set(roles) & set(actor.roles or []):
        needed = " hoặc ".join(ROLE.get(r, r) for r in roles)
        raise PermissionDenied(f"{actor.full_name} không có vai trò {needed} để {action}")
    return actor


def require_member(actor: Person, organization_id: int | None, *, action: str,
                   organization_name: str = "", unless_role: str | None = "admin") -> None:
    """PermissionDenied unless ``actor`` belongs to the organisation (an ``unless_role`` holder,
    by default the administrator, may act for any)."""
    if organization_id is None or actor.organization_id == organization_id:
        return
    if unless_role is not None and actor.has_role(unless_role):
        return
    whose = f" của {organization_name}" if organization_name else ""
    raise PermissionDenied(f"{actor.full_name} không thuộc đơn vị{whose}, không được {action}")


__all__ = ["require_member", "require_role"]
