from django.contrib.auth.hashers import BCryptSHA256PasswordHasher


class BCryptCost12PasswordHasher(BCryptSHA256PasswordHasher):
    """bcrypt (over SHA-256, so long passwords are not truncated) with cost 12, pinned."""

    rounds = 12
