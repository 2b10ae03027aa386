"""Users and authentication: the e-mail login user model, allauth (sign-up, confirmation,
password reset, social logins), the second factor (allauth.mfa TOTP, required of staff), bcrypt
hashing, login limits, JWT login/refresh for the API (with the authenticator app's code the
tokens carry `amr` ["pwd", "otp"], which the staff ops API requires), the profile page and the
user's interface language. Rules owned here: who a person is and how they prove it."""
