"""Reading the filing tables (hồ sơ) and the one guard that keeps archived files unchanged.

The rules that change files live in ``records/``; this module is what every package may use:
the file codes a document is filed under (the registers' "Số, ký hiệu hồ sơ" column), and a
``before_flush`` guard: a file handed over to the archive is read-only, and a recalled
document's link (``frozen``) is never removed, whatever the door.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from registry.errors import InvalidTransition
from registry.models import CaseFile, CaseFileDocument, Document, DocumentStatus

HANDED_OVER = "handed_over"


def file_codes(*, session: Session, document_ids: Iterable[int]) -> dict[int, list[str]]:
    """For each document id, the codes of the files holding it, in filing order."""
    ids = list(document_ids)
    out: dict[int, list[str]] = {}
    if not ids:
        return out
    rows = session.execute(
        select(CaseFileDocument.document_id, CaseFile.code)
        .join(CaseFile, CaseFile.id == CaseFileDocument.case_file_id)
        .where(CaseFileDocument.document_id.in_(ids))
        .order_by(CaseFileDocument.id))
    for document_id, code in rows:
        out.setdefault(document_id, []).append(code)
    return out


def _was_handed_over(case_file: CaseFile) -> bool:
    hist = inspect(case_file).attrs.status.history
    was = hist.deleted[0] if hist.deleted else case_file.status
    return bool(was == HANDED_OVER)


def _freeze_recalled(session: Session) -> set[int]:
    """Mark the links of documents being recalled in this flush as frozen; their ids."""
    recalled = {obj.id for obj in session.dirty if isinstance(obj, Document)
                and obj.status is DocumentStatus.REVOKED
                and inspect(obj).attrs.status.history.has_changes()}
    if recalled:
        for link in session.scalars(select(CaseFileDocument).where(
                CaseFileDocument.document_id.in_(recalled))):
            link.frozen = True
    return recalled


def _read_only(code: str) -> InvalidTransition:
    return InvalidTransition(f"hồ sơ {code} đã nộp lưu trữ cơ quan, chỉ được đọc")


@event.listens_for(Session, "before_flush")
def _archived_files_are_read_only(session: Session, _ctx: Any, _instances: Any) -> None:
    # ND30 art. 30: once the archive has taken the file it holds it read-only (Appendix VI
    # "archive mode"); a recalled document stays in every file that holds it (frozen).
    _freeze_recalled(session)
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, CaseFile) and _was_handed_over(obj) and (
                obj in session.deleted or session.is_modified(obj, include_collections=False)):
            raise _read_only(obj.code)
        if isinstance(obj, CaseFileDocument):
            state = inspect(obj)
            changed = {a.key for a in state.attrs if a.history.has_changes()}
            holder = session.get(CaseFile, obj.case_file_id)
            if (holder is not None and holder.status == HANDED_OVER
                    and (obj in session.deleted or changed - {"frozen"})):
                raise _read_only(holder.code)
            if obj in session.deleted and state.attrs.frozen.value:
                raise InvalidTransition(
                    "văn bản đã thu hồi được giữ nguyên (đóng băng) trong mọi hồ sơ chứa nó, "
                    "không được gỡ ra")
    for obj in session.new:
        if isinstance(obj, CaseFileDocument):
            holder = obj.case_file or session.get(CaseFile, obj.case_file_id)
            if holder is not None and _was_handed_over(holder) and not inspect(holder).pending:
                raise InvalidTransition(
                    f"hồ sơ {holder.code} đã nộp lưu trữ cơ quan, không thêm văn bản được")


__all__ = ["HANDED_OVER", "file_codes"]
