"""outbox: the transactional outbox and the incoming register's intake.

Imports registry only. Deliveries are rows added in the transaction that issues a document
(or claims a reminder), so a delivery is never lost; a relay sends them with retries and
keeps dead letters a clerk can re-queue.

Entry points: :mod:`outbox.enqueue` (``enqueue_document``, ``enqueue_notice``),
:mod:`outbox.relay` (``relay_once``, ``relay_until_idle``), :mod:`outbox.deliveries`
(``summary``, ``retry`` by a clerk), :mod:`outbox.receipts` (``acknowledge``,
``apply_status``), :mod:`outbox.channels` (e-mail, folder drop, edXML package),
:mod:`outbox.intake` (reading and ``register_incoming``), :mod:`outbox.registers` (the
outgoing/incoming register books), :mod:`outbox.errors`.
"""
