"""signing: the draft → approval → signature state machine, signing authority and PAdES.

Imports registry and doc_templates. Approval is data: each decision is recorded (review
steps, audit) and the next step starts from it.

Entry points: :mod:`signing.approvals` (``submit``, ``approve``, ``return_``, ``sign`` —
the decision only, ``revoke``, ``review_state``), :mod:`signing.authority` (who may sign
what: ``right_for``, ``signature_block``, ``eligible_signers``), :mod:`signing.person` (the
competent person's own PAdES signature on the final PDF with ô 2/ô 4 reserved:
``sign_with_key``; an external signer: ``begin_external`` → ``complete_external``),
:mod:`signing.final` (the reserved final PDF and the clerk's fill), :mod:`signing.issuing`
(``issue``: number, date, fill, the organisation's signature, stored files, in the caller's
transaction, with the organisation's key only; ``correct``), :mod:`signing.certificates`
(whose certificate is whose: ``register``, ``require_person_certificate``),
:mod:`signing.keyring` (``KeySource`` .p12 or PKCS#11 token, ``opened_signer``,
``issuing_keys``), :mod:`signing.agent` (the leader's sign agent on 127.0.0.1),
:mod:`signing.verify` (``verify_pdf``, profile ``nd30`` through :mod:`signing.integrity`;
:mod:`signing.provenance` against the registry), :mod:`signing.keys` (``create_dev_ca`` for
the demo), :mod:`signing.errors`.
"""
