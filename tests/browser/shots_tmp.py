import os
from datetime import timedelta

import pytest
from django.utils import timezone

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
from apps.tenants import services
from apps.tenants.roles import Role
from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

OUT = "/tmp/shots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.mark.django_db(transaction=True)
def test_shots(live_server):
    from playwright.sync_api import sync_playwright

    admin = UserFactory(email="anna@romashka.ru", name="Анна Петрова", company="Ромашка")
    tenant = TenantFactory(name="Ромашка", slug="romashka", allowed_origins=[])
    MembershipFactory(tenant=tenant, user=admin, role=Role.ADMIN)
    MembershipFactory(tenant=TenantFactory(name="Лютик и партнёры", slug="lutik"), user=admin, role=Role.OPERATOR)
    for name, email, role in [("Борис Смирнов", "boris@romashka.ru", Role.OPERATOR), ("Вера Иванова", "vera@romashka.ru", Role.ANALYST)]:
        MembershipFactory(tenant=tenant, user=UserFactory(name=name, email=email), role=role)
    inv, token = services.invitation_create(tenant=tenant, actor=admin, email="gleb@romashka.ru", role=Role.OPERATOR)
    inv2, _ = services.invitation_create(tenant=tenant, actor=admin, email="old@romashka.ru", role=Role.ANALYST)
    from apps.tenants.models import Invitation
    Invitation.objects.unscoped().filter(pk=inv2.pk).update(expires_at=timezone.now() - timedelta(days=1))
    operator = UserFactory(email="boris2@romashka.ru", name="Оля")
    MembershipFactory(tenant=tenant, user=operator, role=Role.OPERATOR)
    url = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for label, vp in [("desk", {"width": 1366, "height": 900}), ("m375", {"width": 375, "height": 760})]:
            ctx = browser.new_context(locale="ru-RU", viewport=vp, device_scale_factor=1)
            page = ctx.new_page()
            errors = []
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            def shot(name, full=True):
                page.screenshot(path=f"{OUT}/{label}-{name}.png", full_page=full)
            page.goto(url + "/"); shot("landing")
            page.goto(url + "/accounts/signup/"); shot("signup")
            page.goto(url + f"/invitations/{token}/"); shot("invitation-anon")
            page.goto(url + "/invitations/bad-token/"); shot("invitation-invalid")
            page.goto(url + "/accounts/login/")
            page.fill('input[name="login"]', admin.email); page.fill('input[name="password"]', "wrong")
            page.click("form.allauth-form button[type=submit]"); shot("login-error")
            page.fill('input[name="password"]', PASSWORD)
            page.click("form.allauth-form button[type=submit]")
            page.wait_for_url("**/t/**")
            shot("overview")
            if label == "m375":
                page.click(".menu-button"); page.wait_for_timeout(300); shot("sidebar-open", full=False)
                page.keyboard.press("Escape"); page.wait_for_timeout(300)
            page.click(".tenant-switcher summary"); shot("switcher", full=False)
            page.goto(url + "/t/romashka/team/"); shot("team")
            page.fill('form.invite-form input[name="email"]', "boris@romashka.ru")
            page.click("form.invite-form button[type=submit]"); page.wait_for_timeout(500); shot("team-invite-error")
            page.select_option(f"#member-{admin.pk} select", "analyst"); page.wait_for_timeout(500); shot("team-lastadmin")
            page.goto(url + "/t/romashka/settings/"); shot("settings")
            page.goto(url + "/profile/"); shot("profile")
            page.goto(url + "/companies/new/"); shot("create")
            page.goto(url + "/accounts/password/change/"); shot("password-change")
            page.goto(url + "/accounts/email/"); shot("email")
            page.goto(url + "/t/nope/"); shot("404")
            page.goto(url + "/accounts/logout/"); shot("logout")
            print(label, "console errors:", errors)
            ctx.close()
        # operator view & english
        ctx = browser.new_context(locale="ru-RU", viewport={"width": 1366, "height": 900})
        page = ctx.new_page()
        page.goto(url + "/accounts/login/")
        page.fill('input[name="login"]', operator.email); page.fill('input[name="password"]', PASSWORD)
        page.click("form.allauth-form button[type=submit]"); page.wait_for_url("**/t/**")
        page.goto(url + "/t/romashka/team/"); page.screenshot(path=f"{OUT}/desk-team-operator.png", full_page=True)
        page.goto(url + "/t/romashka/settings/"); page.screenshot(path=f"{OUT}/desk-settings-operator.png", full_page=True)
        page.click(".lang-switch button[value=en]"); page.wait_for_load_state()
        page.screenshot(path=f"{OUT}/desk-settings-en.png", full_page=True)
        page.goto(url + "/t/romashka/"); page.screenshot(path=f"{OUT}/desk-overview-en.png", full_page=True)
        browser.close()
