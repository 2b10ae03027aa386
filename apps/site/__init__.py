"""The public site: landing, pricing from the plan catalogue, features with the live widget, use
cases, blog (Markdown, sanitized), legal templates, sitemap, robots and structured data. Every
feature claim lives in claims.py and is shown only while its pages exist.
"""
