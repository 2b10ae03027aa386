"""Users log in with their e-mail address; there is no username."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, email: str):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    language = models.CharField(
        _("interface language"),
        max_length=8,
        blank=True,
        choices=[("ru", "Русский"), ("en", "English")],
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # "Log out everywhere" and password changes: API tokens issued before this moment are
    # refused, and web sessions started before it no longer match the session hash.
    signed_out_at = models.DateTimeField(_("signed out everywhere at"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def _get_session_auth_hash(self, secret=None):
        # Django ties a session to the password hash; we also tie it to the last "log out
        # everywhere", so that bumping signed_out_at ends every other session.
        if self.signed_out_at is None:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "apps.accounts.models.User.get_session_auth_hash"
        value = f"{self.password}|{self.signed_out_at.isoformat()}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class LoginAttempt(models.Model):
    """A login attempt counted in the database while the shared limiter (Redis) is down: the
    login limit fails closed to these rows (`apps.accounts.login_limits`). A row lives no
    longer than the limit's window; the key is a digest (no address or e-mail is stored)."""

    key = models.CharField(_("limit key digest"), max_length=64)
    member = models.CharField(_("grant"), max_length=64)
    at = models.DateTimeField(_("attempted at"), db_index=True)

    class Meta:
        verbose_name = _("login attempt")
        verbose_name_plural = _("login attempts")
        indexes = [models.Index(fields=["key", "at"], name="loginattempt_key_at_idx")]

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.at:%Y-%m-%d %H:%M:%S}"
