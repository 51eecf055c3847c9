"""edXML (QCVN 102:2016/BTTTT): a model, a builder and a parser, each its own module.

The model (:mod:`outbox.edxml.model`) knows nothing of XML; the builder
(:mod:`outbox.edxml.build`) and parser (:mod:`outbox.edxml.parse`) speak the
``http://www.mic.gov.vn/TBT/QCVN_102_2016`` dialect. A second dialect
(``http://www.go.vn/eDoc``) would be a new builder/parser pair over the same model.
"""
