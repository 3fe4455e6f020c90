"""Attachments (Data 2.4.11): the metadata objects of a statement's ``attachments`` array."""

from __future__ import annotations

from statements import fields as f
from statements.schemas.base import XapiSchema


class AttachmentSchema(XapiSchema):
    """One attachment's metadata (the raw data travels in the multipart body)."""

    usageType = f.IRI(required=True)
    display = f.LanguageMap(required=True)
    description = f.LanguageMap()
    contentType = f.MediaType(required=True)
    length = f.Integer(required=True)
    sha2 = f.Sha2(required=True)
    fileUrl = f.IRL()


ATTACHMENT = AttachmentSchema()
