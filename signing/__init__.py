"""signing: the draft → approval → signature state machine, signing authority and PAdES.

Imports registry and doc_templates. Approval is data: each decision is recorded (review
steps, audit) and the next step starts from it.

Entry points: :mod:`signing.approvals` (``submit``, ``approve``, ``return_``, ``sign``,
``revoke``, ``review_state``), :mod:`signing.authority` (who may sign what: ``right_for``,
``signature_block``, ``eligible_signers``), :mod:`signing.issuing` (``issue``: number,
render, PDF, the person's then the organisation's signature, stored files, in the caller's
transaction; ``correct``), :mod:`signing.keyring` (``KeySource`` .p12 or PKCS#11 token,
``issuing_keys``), :mod:`signing.verify` (``verify_pdf``), :mod:`signing.keys` (``create_dev_ca``
for the demo), :mod:`signing.errors`.
"""
