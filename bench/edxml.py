"""edXML build and parse against bare lxml on the same tree, and the memory of a 50 MB file.

    python bench/edxml.py [--repeat 7] [--big-mb 50]

1. A message with a 5 MB PDF and a 1 MB .docx: ``build_document`` (our tree + serialise)
   against bare lxml building the same element tree and serialising it; ``read`` (our
   streaming SAX parse, base64 decoded into the model) against bare ``lxml.etree.fromstring``
   (huge_tree, no decoding) of the same bytes. Best of N, same process; ratio = ours / lxml.
   Bare parse includes decoding the attachments' base64 (the files are what a reader wants);
   the tree alone is printed too.
2. A 50 MB attachment: tracemalloc peak of Python allocations while parsing from a file
   (ours), and the bytes a bare lxml tree parse needs (libxml2's own memory is outside
   tracemalloc, so bare lxml's figure is the process's RSS growth instead).
3. The same message signed with a demo organisation key: our ``verify`` (structure checks
   against wrapping, signxml's math, the certificate chain to the trust anchor) against bare
   signxml ``XMLVerifier.verify`` with the certificate given, on the same bytes; the chain
   check alone is printed too.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from outbox.edxml.build import NS, build_document, document_tree  # noqa: E402
from outbox.edxml.model import EdxmlAttachment, EdxmlDocument, Organ, TraceHeader  # noqa: E402
from outbox.edxml.parse import read  # noqa: E402

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def message(files: list[tuple[str, str, bytes]]) -> EdxmlDocument:
    """A công văn from the committee to a district unit with ``files``."""
    return EdxmlDocument(
        sender=Organ("000.00.00.Z18", "BAN CHỈ ĐẠO PCTP, TNXH VÀ XÂY DỰNG PHONG TRÀO TOÀN DÂN "
                     "BVANTQ TỈNH KON TUM", in_charge="UBND TỈNH KON TUM"),
        recipients=(Organ("000.00.00.Z19", "BAN CHỈ ĐẠO … HUYỆN ĐẮK GLEI"),),
        code_number="4267", code_notation="BCĐ-NC", issued_date=date(2022, 12, 16),
        subject="V/v xây dựng, nhân rộng mô hình, điển hình tiên tiến", place="Kon Tum",
        due_date=date(2023, 1, 10), to_places=("Như trên;", "Lưu: VT, NC."), page_amount=3,
        trace=(TraceHeader("000.00.00.Z18", datetime(2022, 12, 16, 9, 0)),),
        attachments=tuple(EdxmlAttachment(n, m, c, n, f"cid:{i}")
                          for i, (n, m, c) in enumerate(files, start=1)),
    )


def bare_build(doc: EdxmlDocument) -> bytes:
    """The same element tree built with plain lxml calls, then serialised."""
    q = f"{{{NS}}}"
    root = etree.Element(q + "edXML", nsmap={None: NS})
    envelope = etree.SubElement(root, q + "edXMLEnvelope", nsmap={"edXML": NS})
    header = etree.SubElement(envelope, q + "edXMLHeader")
    reference = etree.fromstring(etree.tostring(document_tree(replace(doc, attachments=()))
                                                .find(f"{q}edXMLEnvelope/{q}edXMLHeader")))
    for child in reference:
        header.append(child)
    manifest = etree.SubElement(etree.SubElement(envelope, q + "edXMLBody"), q + "edXMLManifest")
    encoded = etree.SubElement(root, q + "AttachmentEncoded")
    for a in doc.attachments:
        ref = etree.SubElement(manifest, q + "Reference")
        for tag, value in (("ContentId", a.content_id), ("ContentType", a.mime),
                           ("Description", a.description), ("AttachmentName", a.name)):
            etree.SubElement(ref, q + tag).text = value
        item = etree.SubElement(encoded, q + "Attachment")
        for tag, value in (("ContentId", a.content_id), ("AttachmentName", a.name),
                           ("Description", a.description), ("ContentType", a.mime)):
            etree.SubElement(item, q + tag).text = value
        etree.SubElement(item, q + "ContentTransferEncoded").text = \
            base64.b64encode(a.content).decode("ascii")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def bare_parse(data: bytes, parser: etree.XMLParser) -> list[bytes]:
    """Bare lxml: the tree, then each ContentTransferEncoded decoded (what any reader must do
    to get the files)."""
    root = etree.fromstring(data, parser)
    return [base64.b64decode(e.text or "")
            for e in root.iter(f"{{{NS}}}ContentTransferEncoded")]


def best(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


_PEAK = """
import base64, sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from lxml import etree
from outbox.edxml.parse import read
def kb(key):
    return next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith(key))
before = kb("VmRSS")
if sys.argv[3] == "ours":
    got = [a.content for a in read(Path(sys.argv[1])).message.attachments]
else:
    tree = etree.parse(sys.argv[1], etree.XMLParser(huge_tree=True, resolve_entities=False))
    got = [base64.b64decode(e.text) for e in tree.iter("{%s}ContentTransferEncoded")]
print((kb("VmHWM") - before) / 1024)
"""


def peak_rss(path: Path, who: str) -> float:
    """Peak RSS growth (MB: /proc VmHWM − VmRSS before) of a fresh interpreter reading
    ``path`` — ``ours`` or bare ``lxml`` (tree, then the attachment decoded). A fresh process
    because ru_maxrss would carry this one's peak over fork/exec."""
    import subprocess

    root = str(Path(__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", _PEAK % NS, str(path), root, who],
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--big-mb", type=int, default=50)
    args = parser.parse_args()

    pdf = b"%PDF-1.7\n" + os.urandom(5 * 1024 * 1024)
    docx = b"PK\x03\x04" + os.urandom(1024 * 1024)
    doc = message([("4267-BCĐ-NC.pdf", "application/pdf", pdf),
                   ("4267-BCĐ-NC.docx", DOCX_MIME, docx)])
    data = build_document(doc)
    huge = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)
    build_ours = best(lambda: build_document(doc), args.repeat)
    build_lxml = best(lambda: bare_build(doc), args.repeat)
    parse_ours = best(lambda: read(data), args.repeat)
    parse_tree = best(lambda: etree.fromstring(data, huge), args.repeat)
    parse_lxml = best(lambda: bare_parse(data, huge), args.repeat)
    assert read(data).message == doc
    print(f"message: {len(data) / 1e6:.1f} MB (5 MB PDF + 1 MB .docx), best of {args.repeat}")
    print(f"build  ours {build_ours * 1000:7.1f} ms   bare lxml {build_lxml * 1000:7.1f} ms   "
          f"ratio {build_ours / build_lxml:.2f}")
    print(f"parse  ours {parse_ours * 1000:7.1f} ms   bare lxml + b64decode "
          f"{parse_lxml * 1000:7.1f} ms   ratio {parse_ours / parse_lxml:.2f}  (lxml tree alone "
          f"{parse_tree * 1000:.1f} ms)")
    both_ours, both_lxml = build_ours + parse_ours, build_lxml + parse_lxml
    print(f"build+parse ratio {both_ours / both_lxml:.2f} (target ≤ 1.5)")

    verify_figures(doc, args.repeat)

    size = args.big_mb * 1024 * 1024
    big = message([("lon.pdf", "application/pdf", b"%PDF-1.7\n" + os.urandom(size - 9))])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lon.edxml"
        path.write_bytes(build_document(big))
        del big
        on_disk = path.stat().st_size
        tracemalloc.start()
        parsed = read(path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert len(parsed.message.attachments[0].content) == size  # type: ignore[union-attr]
        del parsed
        ours_rss, lxml_rss = peak_rss(path, "ours"), peak_rss(path, "lxml")
    print(f"{args.big_mb} MB attachment ({on_disk / 1e6:.0f} MB edXML file): our parse "
          f"{peak / 1e6:.0f} MB peak of Python allocations ({peak / size:.2f}× the file); peak "
          f"RSS growth in a fresh process: ours {ours_rss:.0f} MB, bare lxml tree + decode "
          f"{lxml_rss:.0f} MB ({ours_rss / lxml_rss:.2f}×)")


def verify_figures(doc: EdxmlDocument, repeat: int) -> None:
    """Signed-envelope verification: ours (wrapping checks + math + chain) against bare
    signxml on the same bytes."""
    from datetime import UTC

    from cryptography import x509
    from signxml.verifier import SignatureConfiguration, XMLVerifier

    from outbox.edxml.verify import verify
    from signing.keyring import KeySource
    from signing.keys import create_dev_ca
    from signing.xmldsig import XmlDsigSigner
    from signing.xmldsig_trust import CertificateTrust

    with tempfile.TemporaryDirectory() as folder:
        ca = create_dev_ca(Path(folder), password="bench")
        signer = XmlDsigSigner.from_key_source(KeySource.pkcs12(ca.organization_p12, "bench"))
        trust = CertificateTrust.from_paths([ca.ca_cert])
    assert trust is not None
    signed = build_document(doc, signer=signer)
    signer.close()
    root = etree.fromstring(signed, etree.XMLParser(huge_tree=True))
    ders = [base64.b64decode(e.text or "") for e in root.iter(
        "{http://www.w3.org/2000/09/xmldsig#}X509Certificate")]
    cert = x509.load_der_x509_certificate(ders[0])
    now = datetime.now(UTC)
    huge = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)
    config = SignatureConfiguration(require_x509=True)
    assert verify(signed, trust=trust, received_at=now).state.value == "valid"
    ours = best(lambda: verify(signed, trust=trust, received_at=now), repeat)
    bare = best(lambda: XMLVerifier().verify(signed, x509_cert=cert, parser=huge,
                                             expect_config=config), repeat)
    chain = best(lambda: trust.check(certificate=ders[0], others=ders[1:], signed_at=now,
                                     received_at=now), repeat)
    print(f"verify ours {ours * 1000:7.1f} ms   bare signxml {bare * 1000:7.1f} ms   ratio "
          f"{ours / bare:.2f}  (chain check alone {chain * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
