"""An uploaded bank statement's format, told by its content and never by its name: CAMT.053 (XML) or CODA
(Belgian fixed-width text). Both are read into the same ``camt.ParsedFile``; anything else is refused with a
plain answer naming the formats accepted."""

from __future__ import annotations

from portal.errors import N_
from vouchers.banking import camt, coda

#: How an XML file may begin once blanks and a UTF-8 byte order mark are set aside: ``<``, or the byte order
#: mark of UTF-16 (the XML parser reads it, and says what is wrong when it cannot).
_XML_STARTS = (b"<", b"\xff\xfe", b"\xfe\xff")


def parse(data: bytes) -> camt.ParsedFile:
    """Read a CAMT.053 or CODA statement file. Raises ``camt.CamtError`` (``coda.CodaError`` for CODA) with the
    reason when it is neither, or is malformed."""
    head = data.lstrip(b"\xef\xbb\xbf").lstrip()
    if not head or len(data) > camt.MAX_FILE_BYTES or head.startswith(_XML_STARTS):
        return camt.parse(data)  # it says when the file is empty or too large
    if coda.looks_like_coda(head):
        return coda.parse(data)
    raise camt.CamtError(N_("This file is neither a CAMT.053 statement (XML) nor a CODA statement (text lines of "
                            "128 characters), the two formats the fund imports. Download the statement again from "
                            "the bank in one of them."), code="statement_format_unknown")
