"""A real OpenID Connect provider for the login tests: django-oauth-toolkit with OIDC on, run as its own process.

It stands for the city's SPID/CIE broker: its users log in with a password, and it gives the RP (the
observatory) an authorization code, an RS256-signed ID token, its JWKS and a userinfo endpoint with the
``email`` and, for users named like SPID's ``TINIT-<codice fiscale>``, the ``fiscal_number`` claim.
Its own settings and SQLite database: nothing of the observatory is imported.
"""
