from apps.billing.tests.test_payperlead_views import *  # noqa
def test_dump(seeded, analyst_client_web):
    r = analyst_client_web.get(page(seeded), {"period": "2024-04", "customer": "customer-123"})
    body = r.content.decode()
    i = body.find('id="report"')
    open("/tmp/ppl/page.html","w").write(body)
    print(body[i:i+200])
