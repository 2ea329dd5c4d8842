"""Attachments (R5): photos, videos and PDFs on a case, typed by their bytes, within jurisdiction."""
import io

import pytest

from tests.complaint_city import Desk, build_city

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 4000


@pytest.fixture
def desk(client, app):
    city = build_city()
    desk = Desk(client)
    desk.village_case(city["units"])
    return desk


def upload(desk, user, name, content):
    return desk.client.post(f"/api/v1/cases/{desk.number}/attachments", headers=desk.headers(user),
                            data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def test_R5_a_photo_is_attached_listed_and_served_with_its_sniffed_type(desk):
    added = upload(desk, "handler_village", "现场照片.png", PNG)
    assert added.status_code == 201, added.json
    assert (added.json["content_type"], added.json["size"]) == ("image/png", len(PNG))
    [listed] = desk.case()["attachments"]
    assert listed["filename"] == "现场照片.png"
    served = desk.client.get(f"/api/v1/cases/{desk.number}/attachments/{listed['id']}",
                             headers=desk.headers("supervisor"))
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment_added" in desk.events()


def test_a_video_is_served_in_ranges_so_browsers_can_play_it(desk):
    attachment_id = upload(desk, "handler_village", "clip.mp4", MP4).json["id"]
    part = desk.client.get(f"/api/v1/cases/{desk.number}/attachments/{attachment_id}",
                           headers={**desk.headers("handler_village"), "Range": "bytes=0-99"})
    assert part.status_code == 206 and part.data == MP4[:100]


@pytest.mark.parametrize("name, content", [("page.png", b"<html><script>alert(1)</script>"),
                                           ("empty.jpg", b""), ("notes.txt", b"plain text")])
def test_files_that_are_not_photos_videos_or_pdfs_are_refused_and_nothing_is_stored(desk, name, content):
    refused = upload(desk, "handler_village", name, content)
    assert refused.status_code == 422 and "file" in refused.json["errors"]
    assert desk.case()["attachments"] == []


def test_outside_the_jurisdiction_attachments_are_not_found(desk):
    attachment_id = upload(desk, "handler_village", "a.png", PNG).json["id"]
    url = f"/api/v1/cases/{desk.number}/attachments/{attachment_id}"
    assert desk.client.get(url, headers=desk.headers("handler_county")).status_code == 404
    assert upload(desk, "handler_county", "b.png", PNG).status_code == 404
