"""The HTTP answer for one attachment, shared by the API and the web pages: shown inline with its
sniffed type (images and PDFs in place, videos playable with range requests), never sniffed
again by the browser, never cached by shared caches."""
from io import BytesIO

from flask import send_file

from app.attachments.models import CaseAttachment


def attachment_response(attachment: CaseAttachment):
    response = send_file(BytesIO(attachment.data), mimetype=attachment.content_type,
                         download_name=attachment.filename, as_attachment=False, conditional=True,
                         etag=attachment.sha256, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
