"""The top floor: the public landing page, the home redirect to the user's last company, the
company overview page, the language switch, and the demo data (`manage.py seed_demo`) that
spans every app below. Nothing imports web."""
