"""The XML canonicalisations XML-DSig and XAdES name, as lxml computes them.

Shared by the signature-timestamp check (`verify_xml`) and the archive timestamp (`archive_xades`),
which canonicalise single elements with the method a timestamp declares.
"""

from __future__ import annotations

#: Canonicalisation URIs → (exclusive, with comments) for lxml (C14N 1.1 is read as 1.0: they
#: differ only on inherited xml:id / xml:base, which signature and XAdES elements do not carry).
C14N = {
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": (False, False),
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments": (False, True),
    "http://www.w3.org/2006/12/xml-c14n11": (False, False),
    "http://www.w3.org/2006/12/xml-c14n11#WithComments": (False, True),
    "http://www.w3.org/2001/10/xml-exc-c14n#": (True, False),
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": (True, True),
}
