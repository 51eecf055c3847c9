"""The approval state machine: draft → submitted → (returned ↔ resubmitted)* → approved → signed,
plus revoked; role checks, multi-step review, versions and their diff."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from registry import audit
from registry.errors import ImmutableDocument, InvalidTransition, PermissionDenied, ValidationError
from registry.models import DocumentStatus as S
from signing import approvals, storage
from signing.diff import diff_versions
from tests.signing.test_approvals_fixtures import World, build_world, new_draft


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def _submit(session, world, doc, tmp_path, reviewers=None):
    return approvals.submit(session=session, document_id=doc.id, actor=world.drafter,
                            files_root=tmp_path,
                            reviewers=[world.head_of_dept, world.deputy]
                            if reviewers is None else reviewers)


def _actions(session, doc) -> list[str]:
    return [e.action for e in audit.history(session=session, object_type="document",
                                            object_id=doc.id)]


class TestSubmit:
    def test_submission_keeps_a_version_with_the_rendered_docx(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """Submitting stores the rendered .docx by SHA-256 and keeps the spec in version 1."""
        doc = new_draft(session, world)
        version = _submit(session, world, doc, tmp_path)
        assert doc.status is S.SUBMITTED
        assert version.version == 1
        data = storage.read(tmp_path, version.docx_path, expected_sha256=version.docx_sha256)
        assert data[:2] == b"PK"
        assert version.spec["subject"] == doc.subject
        assert version.spec["signature"]["authority"] == "TM."  # the head is proposed first
        assert _actions(session, doc) == ["create", "submit"]

    def test_only_the_drafter_or_a_clerk_submits(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """A reporter who did not write the draft cannot submit it."""
        doc = new_draft(session, world)
        with pytest.raises(PermissionDenied, match="người soạn"):
            approvals.submit(session=session, document_id=doc.id, actor=world.reporter,
                             files_root=tmp_path)
        assert doc.status is S.DRAFT

    def test_a_reporter_cannot_be_a_reviewer(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """Reviewers must be leaders or reviewers; a reporter is refused at submission."""
        doc = new_draft(session, world)
        with pytest.raises(PermissionDenied, match="Hoàng Văn E"):
            _submit(session, world, doc, tmp_path, reviewers=[world.reporter])

    def test_submitted_twice_is_refused(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """A draft already under review cannot be submitted again."""
        doc = new_draft(session, world)
        _submit(session, world, doc, tmp_path)
        with pytest.raises(InvalidTransition, match="đang trình duyệt"):
            _submit(session, world, doc, tmp_path)


class TestMultiStepReview:
    def test_reviewers_approve_in_order_then_approved(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """Each approve moves the draft to the next reviewer; the last makes it approved."""
        doc = new_draft(session, world)
        _submit(session, world, doc, tmp_path)
        approvals.approve(session=session, document_id=doc.id, actor=world.head_of_dept)
        assert doc.status is S.SUBMITTED
        state = approvals.review_state(session=session, document_id=doc.id)
        assert state is not None and state.current is not None
        assert state.current.reviewer == world.deputy
        approvals.approve(session=session, document_id=doc.id, actor=world.deputy)
        assert doc.status is S.APPROVED

    def test_out_of_turn_is_refused(self, session: Session, world: World, tmp_path: Path) -> None:
        """The second reviewer cannot approve before the first; the message names whose turn."""
        doc = new_draft(session, world)
        _submit(session, world, doc, tmp_path)
        with pytest.raises(PermissionDenied, match=r"Lê Văn C duyệt \(bước 1/2\)"):
            approvals.approve(session=session, document_id=doc.id, actor=world.deputy)

    def test_reporter_cannot_approve(self, session: Session, world: World, tmp_path: Path) -> None:
        """A reporter is refused whatever the step."""
        doc = new_draft(session, world)
        _submit(session, world, doc, tmp_path)
        with pytest.raises(PermissionDenied, match="không duyệt được"):
            approvals.approve(session=session, document_id=doc.id, actor=world.reporter)

    def test_without_reviewers_a_leader_who_may_sign_approves(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """With no reviewer list, a leader holding a signing right approves directly."""
        doc = new_draft(session, world)
        _submit(session, world, doc, tmp_path, reviewers=[])
        with pytest.raises(PermissionDenied):
            approvals.approve(session=session, document_id=doc.id, actor=world.head_of_dept)
        approvals.approve(session=session, document_id=doc.id, actor=world.chair)
        assert doc.status is S.APPROVED

    def test_approve_a_draft_not_submitted(self, session: Session, world: World) -> None:
        """Approving a draft that was never submitted is an invalid transition."""
        doc = new_draft(session, world)
        with pytest.raises(InvalidTransition, match="dự thảo"):
            approvals.approve(session=session, document_id=doc.id, actor=world.chair)


class TestReturn:
    def test_return_goes_back_to_the_drafter_with_the_comment(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """A return records the comment on the version and lets the drafter edit and resubmit;
        the new round starts again from the first reviewer."""
        doc = new_draft(session, world)
        _submit(session, world, doc, tmp_path)
        approvals.approve(session=session, document_id=doc.id, actor=world.head_of_dept)
        approvals.return_(session=session, document_id=doc.id, actor=world.deputy,
                          comment="Bổ sung thời hạn báo cáo")
        assert doc.status is S.RETURNED
        assert doc.versions[0].comment == "Bổ sung thời hạn báo cáo"
        assert doc.versions[0].reviewer_id == world.deputy.id
        approvals.edit(session=session, document_id=doc.id, actor=world.drafter,
                       body="Đề nghị các đơn vị báo cáo trước ngày 10/5.")
        v2 = approvals.submit(session=session, document_id=doc.id, actor=world.drafter,
                              files_root=tmp_path)
        assert v2.version == 2 and doc.status is S.SUBMITTED
        state = approvals.review_state(session=session, document_id=doc.id)
        assert state is not None and state.current is not None
        assert state.current.reviewer == world.head_of_dept
        assert _actions(session, doc)[-3:] == ["return", "update", "resubmit"]

    def test_return_needs_a_comment(self, session: Session, world: World, tmp_path: Path) -> None:
        """A return without a comment is refused, naming the field."""
        doc = new_draft(session, world)
        _submit(session, world, doc, tmp_path)
        with pytest.raises(ValidationError, match="comment"):
            approvals.return_(session=session, document_id=doc.id, actor=world.head_of_dept,
                              comment="  ")

    def test_signer_may_return_an_approved_draft(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """Once approved, a leader who may sign can still send it back instead of signing."""
        doc = new_draft(session, world)
        _submit(session, world, doc, tmp_path, reviewers=[world.head_of_dept])
        approvals.approve(session=session, document_id=doc.id, actor=world.head_of_dept)
        with pytest.raises(PermissionDenied):
            approvals.return_(session=session, document_id=doc.id, actor=world.clerk,
                              comment="không")
        approvals.return_(session=session, document_id=doc.id, actor=world.chair,
                          comment="Sửa lại căn cứ")
        assert doc.status is S.RETURNED

    def test_edit_while_under_review_is_refused(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """Nobody edits a draft while reviewers are reading it."""
        doc = new_draft(session, world)
        _submit(session, world, doc, tmp_path)
        with pytest.raises(InvalidTransition, match="sửa"):
            approvals.edit(session=session, document_id=doc.id, actor=world.drafter, body="x")


class TestSign:
    def _approved(self, session, world, tmp_path):
        doc = new_draft(session, world)
        _submit(session, world, doc, tmp_path, reviewers=[world.head_of_dept])
        approvals.approve(session=session, document_id=doc.id, actor=world.head_of_dept)
        return doc

    def test_deputy_signs_with_the_derived_block(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """Signing records the signer and the block derived from the deputy's KT. right."""
        doc = self._approved(session, world, tmp_path)
        approvals.sign(session=session, document_id=doc.id, actor=world.deputy)
        assert doc.status is S.SIGNED and doc.signer_id == world.deputy.id
        assert doc.signature_block == {"authority": "KT.", "on_behalf_of": "BAN CHỈ ĐẠO",
                                       "for_title": "TRƯỞNG BAN", "title": "PHÓ TRƯỞNG BAN",
                                       "name": "Nguyễn Văn A"}

    def test_a_clerk_can_never_sign(self, session: Session, world: World, tmp_path: Path) -> None:
        """Even with a signing right row, a clerk is refused."""
        from tests import factories

        factories.right(session, world.clerk, world.issuer, authority="TM.",
                        on_behalf_of="BAN CHỈ ĐẠO")
        doc = self._approved(session, world, tmp_path)
        with pytest.raises(PermissionDenied, match="văn thư, không được ký"):
            approvals.sign(session=session, document_id=doc.id, actor=world.clerk)
        assert doc.status is S.APPROVED

    def test_a_reviewer_without_right_cannot_sign(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """Approving is not signing: the head of department has no right and is refused."""
        doc = self._approved(session, world, tmp_path)
        with pytest.raises(PermissionDenied):
            approvals.sign(session=session, document_id=doc.id, actor=world.head_of_dept)

    def test_sign_before_approval(self, session: Session, world: World, tmp_path: Path) -> None:
        """A submitted draft still under review cannot be signed."""
        doc = new_draft(session, world)
        _submit(session, world, doc, tmp_path)
        with pytest.raises(InvalidTransition, match="đã duyệt, chờ ký"):
            approvals.sign(session=session, document_id=doc.id, actor=world.chair)


class TestRevoke:
    def test_drafter_withdraws_a_draft(self, session: Session, world: World) -> None:
        """The drafter may revoke their own draft; the event keeps the reason."""
        doc = new_draft(session, world)
        approvals.revoke(session=session, document_id=doc.id, actor=world.drafter,
                         reason="Trùng nội dung")
        assert doc.status is S.REVOKED
        with pytest.raises(InvalidTransition, match="đã thu hồi"):
            approvals.revoke(session=session, document_id=doc.id, actor=world.chair, reason="x")
        with pytest.raises(ImmutableDocument):
            approvals.submit(session=session, document_id=doc.id, actor=world.drafter,
                             files_root=Path("."))

    def test_reporter_cannot_revoke_others_drafts(self, session: Session, world: World) -> None:
        """Revoking someone else's draft takes a leader who may sign."""
        doc = new_draft(session, world)
        with pytest.raises(PermissionDenied):
            approvals.revoke(session=session, document_id=doc.id, actor=world.reporter,
                             reason="x")


class TestDiff:
    def test_leader_sees_what_changed_between_versions(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """diff_versions gives unified diff lines of the body between two submissions."""
        doc = new_draft(session, world, body="Dòng một.\nDòng hai.")
        _submit(session, world, doc, tmp_path, reviewers=[world.head_of_dept])
        approvals.return_(session=session, document_id=doc.id, actor=world.head_of_dept,
                          comment="Sửa dòng hai")
        approvals.edit(session=session, document_id=doc.id, actor=world.drafter,
                       body="Dòng một.\nDòng hai, đã sửa.")
        approvals.submit(session=session, document_id=doc.id, actor=world.drafter,
                         files_root=tmp_path)
        lines = diff_versions(session=session, document_id=doc.id, v1=1, v2=2)
        assert lines[:2] == ["--- phiên bản 1", "+++ phiên bản 2"]
        assert "-Dòng hai." in lines and "+Dòng hai, đã sửa." in lines

    def test_unknown_version_names_the_existing_ones(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """Asking for a version that does not exist lists those that do."""
        from registry.errors import NotFound

        doc = new_draft(session, world)
        _submit(session, world, doc, tmp_path)
        with pytest.raises(NotFound, match="đang có: 1"):
            diff_versions(session=session, document_id=doc.id, v1=1, v2=3)
