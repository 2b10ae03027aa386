"""Users and authentication: the e-mail login user model, allauth (sign-up, confirmation,
password reset, social logins), bcrypt hashing, login limits, JWT login/refresh for the API,
the profile page and the user's interface language. Rules owned here: who a person is and how
they prove it."""
