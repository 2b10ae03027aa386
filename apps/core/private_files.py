"""Private files — import uploads and their reports of rejected rows, lead exports, invoice
PDFs — in the `default` storage: local files under MEDIA_ROOT on the embedded default, an
S3-compatible bucket through django-storages when `AWS_STORAGE_BUCKET_NAME` is set
(fastlead/settings.py). None of them has a public URL: a view checks who asks, then streams a
local file or redirects to a signed URL that expires after `PRIVATE_FILE_URL_SECONDS`.

Files are written whole on local disk first (`local_copy`) and stored when done: an export or
a report is written row by row, which object storage cannot append to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header


def is_local() -> bool:
    """Files are on this machine's disk (the embedded default), not in a bucket."""
    return isinstance(default_storage, FileSystemStorage)


def work_path(name: str) -> Path:
    """Where `name` is written before it is stored: its own place on a local disk, else a
    working copy under VAR_DIR (kept until `store`, so a resumed job appends to it)."""
    if is_local():
        path = Path(default_storage.path(name))
    else:
        path = Path(settings.VAR_DIR) / "work" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def store(name: str) -> None:
    """Put the finished working copy of `name` in the bucket (nothing to do on local disk)."""
    if is_local():
        return
    path = work_path(name)
    with path.open("rb") as handle:
        default_storage.delete(name)  # a re-run replaces its file under the same name
        default_storage.save(name, File(handle))
    path.unlink(missing_ok=True)


@contextmanager
def local_copy(name: str) -> Iterator[Path]:
    """Write `name` at the yielded path; it is stored when the block ends without an error,
    and nothing is left behind when it fails."""
    path = work_path(name)
    try:
        yield path
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    store(name)


def save_bytes(name: str, content: bytes) -> None:
    path = work_path(name)
    path.write_bytes(content)
    store(name)


def exists(name: str) -> bool:
    return bool(name) and default_storage.exists(name)


def delete(name: str) -> None:
    if name:
        default_storage.delete(name)
    if name and not is_local():
        (Path(settings.VAR_DIR) / "work" / name).unlink(missing_ok=True)


def download_response(name: str, *, filename: str, content_type: str) -> HttpResponse:
    """The file as an attachment: streamed from local disk, or a redirect to a signed URL of
    the bucket that names the file and expires soon (the caller has checked access)."""
    if is_local():
        response = FileResponse(
            default_storage.open(name, "rb"),
            as_attachment=True,
            filename=filename,
            content_type=content_type,
        )
    else:
        url = default_storage.url(
            name,
            parameters={
                "ResponseContentDisposition": content_disposition_header(True, filename),
                "ResponseContentType": content_type,
            },
            expire=settings.PRIVATE_FILE_URL_SECONDS,
        )
        response = HttpResponseRedirect(url)
    response["Cache-Control"] = "no-store"
    return response
