"""Signed-in citizens: the holder of the default household, a stranger and a staff member."""

from __future__ import annotations

from waterbill.auth.identity import Citizen, pseudonymous_id

KEY = b"test-secret-key-0123456789"


def citizen(fin: str = "5ZK3LRT", name: str = "Qorxmaz", surname: str = "Hüseynov") -> Citizen:
    return Citizen(
        fin=fin,
        surname=surname,
        name=name,
        patronymic="",
        auth_method="asan_imza",
        pseudonym=pseudonymous_id(fin, key=KEY),
    )


HOLDER = citizen()
STRANGER = citizen("7ABCD12", name="Leyla", surname="Məmmədova")
STAFF = citizen("2QWE3RT", name="Aygün", surname="Əliyeva")
