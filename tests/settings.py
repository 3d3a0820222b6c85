"""The test suite's settings: custos/settings.py read from the environment as always, with
two differences that only save time (cookiecutter-django's test settings):

- passwords are hashed with MD5, except in the tests marked ``real_password_hasher`` (the
  login hardening), which get ``PRODUCTION_PASSWORD_HASHERS`` back (tests/conftest.py);
- WhiteNoise looks a static file up when it is asked for (``WHITENOISE_AUTOREFRESH``) instead
  of listing every static file each time a test client builds its middleware; the files are
  served the same (tests/test_static.py).

A parallel worker (pytest-xdist) first takes its own var directory and Redis database
(tests/workers.py).
"""

from __future__ import annotations

from django.conf import global_settings

from tests import workers

workers.isolate()

from custos.settings import *  # noqa: E402, F403

# What production hashes passwords with (Django's default list): the hardening tests keep it.
PRODUCTION_PASSWORD_HASHERS = list(
    globals().get("PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS)
)
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    *PRODUCTION_PASSWORD_HASHERS,  # a production hash met in a test still verifies
]
WHITENOISE_AUTOREFRESH = True
