"""A development stand-in for the e-gov single sign-on: a small but real OpenID provider.

Its routes (``waterbill.web.devidp``) are mounted at ``/dev-idp`` only when
``WATERBILL_ENV=development``; the app refuses to start with it anywhere else
(``Settings.check_secrets``).
"""
