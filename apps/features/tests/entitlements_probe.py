"""A second process for the cross-process test: reads tenant ids on stdin and answers each
with the tenant's enabled tools as JSON, as a web worker or Celery worker would see them."""

import json
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fastlead.settings")
    import django

    django.setup()
    if os.environ.get("PROBE_FILE_CACHE"):  # the test's file cache instead of the project's
        from django.conf import settings

        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": os.environ["PROBE_FILE_CACHE"],
            }
        }
    from apps.features.selectors import entitlements_get

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        tenant_id = line.strip()
        if not tenant_id:
            break
        print(json.dumps(sorted(entitlements_get(tenant_id).tools)), flush=True)


if __name__ == "__main__":
    main()
