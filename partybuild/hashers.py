"""Password hashing: Argon2id with the OWASP-recommended cost (19 MiB, 2 passes, 1 lane).

Django's own Argon2 defaults (100 MiB, 8 lanes) take about 0.4 s per login on the small
servers a committee runs, and let a burst of logins exhaust memory. These parameters are
OWASP's minimum for Argon2id; they are stored in each hash, so raising them later only
rehashes a password at its owner's next login.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2PasswordHasher


class Argon2PasswordHasher(DjangoArgon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
