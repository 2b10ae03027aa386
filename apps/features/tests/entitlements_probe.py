"""A second process for the cross-process test: reads tenant ids on stdin and answers each
with the tenant's enabled tools as JSON, as a web worker or Celery worker would see them."""

import json
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fastlead.settings")
    import django

    django.setup()
    from apps.features.selectors import entitlements_get

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        tenant_id = line.strip()
        if not tenant_id:
            break
        from django.core.cache import cache

        print(
            "PROBE",
            cache.get(f"ent:ver:{tenant_id}"),
            cache.get("ent:ver:*"),
            cache.get(f"ent:2:full:{tenant_id}") and cache.get(f"ent:2:full:{tenant_id}")[0],
            file=sys.stderr,
            flush=True,
        )
        print(json.dumps(sorted(entitlements_get(tenant_id).tools)), flush=True)


if __name__ == "__main__":
    main()
