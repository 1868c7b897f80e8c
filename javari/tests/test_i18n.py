"""The Spanish catalog is complete and up to date with every string marked in the source."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from html import unescape
from pathlib import Path

import allauth
import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client
from django.utils import translation

from accounts.models import User
from accounts.tests.helpers import TOTP_SECRET, sign_in, totp_code

BASE_DIR = Path(settings.BASE_DIR)
SPANISH = BASE_DIR / "locale" / "es" / "LC_MESSAGES" / "django.po"
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "var", "locale", "test-artifacts", "__pycache__", "node_modules", ".*cache"
)


def _read(path: Path):
    with path.open("rb") as po_file:
        return read_po(po_file, locale="es")


def _msgids(catalog) -> set:
    return {
        message.id if isinstance(message.id, str) else tuple(message.id) for message in catalog if message.id
    }


def test_the_spanish_catalog_has_no_untranslated_entry() -> None:
    untranslated = [
        message.id
        for message in _read(SPANISH)
        if message.id and not (all(message.string) if isinstance(message.string, tuple) else message.string)
    ]
    assert untranslated == [], f"untranslated in {SPANISH}: {untranslated}"


def test_the_spanish_catalog_defines_each_message_once() -> None:
    # Babel keeps the last of two definitions silently; GNU msgfmt refuses the file. Branches merged
    # with union merges of the catalog leave such pairs behind.
    entries: list[tuple[str, str]] = []
    context, msgid, collecting = "", "", ""
    for line in SPANISH.read_text(encoding="utf-8").splitlines():
        if line.startswith('"') and collecting:
            if collecting == "context":
                context += line
            else:
                msgid += line
            continue
        if collecting == "msgid":
            entries.append((context, msgid))
            context = ""
        collecting = ""
        if line.startswith("msgctxt "):
            context, collecting = line, "context"
        elif line.startswith("msgid "):
            msgid, collecting = line, "msgid"
    counts = Counter(entries)
    twice = [msgid for (_context, msgid), count in counts.items() if count > 1 and msgid != 'msgid ""']
    assert twice == [], f"defined more than once in {SPANISH}: {twice}"


def test_the_spanish_catalog_has_no_fuzzy_entry() -> None:
    fuzzy = [message.id for message in _read(SPANISH) if message.id and message.fuzzy]
    assert fuzzy == [], f"fuzzy entries in {SPANISH} need review: {fuzzy}"


def test_every_string_marked_in_the_source_is_in_the_spanish_catalog(tmp_path: Path) -> None:
    # Extract afresh from a copy of the source (makemessages writes into ./locale) and compare.
    copy = tmp_path / "src"
    shutil.copytree(BASE_DIR, copy, ignore=NOT_SOURCE)
    env = {
        **os.environ,
        "DATABASE_URL": settings.DATABASE_URL,
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "javari.settings",
    }
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-location", "--no-obsolete"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    extracted = _msgids(_read(copy / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    missing = sorted(map(str, extracted - _msgids(_read(SPANISH))))
    assert missing == [], (
        "strings marked for translation but missing from locale/es: run "
        "`manage.py makemessages -l es --no-location` and translate them: " + "; ".join(missing)
    )


# --- One Spanish voice: "tú", and one name for two-factor ------------------------------------------
#
# allauth's, Django's and DRF's own Spanish catalogs say "usted" and name two-factor three ways; our
# catalog (LOCALE_PATHS wins over theirs) overrides every such string. These tests keep it so when a
# library upgrade brings new strings.

SITE_PACKAGES = Path(allauth.__file__).parent.parent
THIRD_PARTY_CATALOGS = {
    "allauth": SITE_PACKAGES / "allauth" / "locale" / "es" / "LC_MESSAGES" / "django.po",
    "django": SITE_PACKAGES / "django" / "conf" / "locale" / "es" / "LC_MESSAGES" / "django.po",
    "django.contrib.auth": SITE_PACKAGES
    / "django"
    / "contrib"
    / "auth"
    / "locale"
    / "es"
    / "LC_MESSAGES"
    / "django.po",
    "rest_framework": SITE_PACKAGES / "rest_framework" / "locale" / "es" / "LC_MESSAGES" / "django.po",
}

# The formal register: "usted" and its pronouns, and formal imperatives and verb forms ("Introduzca",
# "¿Desea…?") where the tú form differs ("Introduce", "¿Quieres…?").
FORMAL = re.compile(
    r"\b(?:usted|ustedes|Ud|Uds)\b|\bUds?\.|\bsu cuenta\b|(?:^|[.:!?¿¡]\s*|,\s)Sus?\s"
    r"|\b(?:Introduzca|Introdúzcalo|Ingrese|Haga|Pulse|Confirme|Seleccione|Escriba|Compruebe|Verifique"
    r"|Asegúrese|Inténtelo|Intente|Revise|Utilice|Añada|Elimine|Espere|Vuelva|Póngase|póngase|Contacte"
    r"|Consulte|Proporcione|Elija|Indique|Corrija|Siga|Solicite|regístrese|contáctenos|inicie|Recibirá"
    r"|desea|Desea|Está seguro|está seguro|Ha olvidado|ha olvidado|Le hemos|le enviaremos|Use)\b"
    # After "por favor" a lowercase verb is an imperative too: "Por favor, confirme…".
    r"|[Pp]or favor,? (?:confirme|introduzca|ingrese|haga|escriba|compruebe|verifique|vuelva|solicite"
    r"|utilice|emita|póngase|contacte|inicie|complete|seleccione|entre)\b"
)
TWO_FACTOR_TERM = "autenticación en dos pasos"
OTHER_TWO_FACTOR_TERMS = re.compile(
    r"dos factores|doble factor|2FA|verificación en dos pasos|autenticación de dos pasos|\bMFA\b", re.I
)


def _third_party(name: str):
    path = THIRD_PARTY_CATALOGS[name]
    if path.exists():
        return _read(path)
    with path.with_suffix(".mo").open("rb") as mo_file:  # DRF ships only the compiled catalog
        return read_mo(mo_file)


def _texts(string) -> list[str]:
    return [string] if isinstance(string, str) else [form for form in string if form]


def _effective(message) -> list[str]:
    """What Django serves for ``message`` with Spanish active: each plural form asked for."""
    with translation.override("es"):
        if isinstance(message.id, str):
            if message.context:
                return [translation.pgettext(message.context, message.id)]
            return [translation.gettext(message.id)]
        singular, plural = message.id[0], message.id[1]
        if message.context:
            return [translation.npgettext(message.context, singular, plural, n) for n in (1, 2, 1_000_000)]
        return [translation.ngettext(singular, plural, n) for n in (1, 2, 1_000_000)]


def _served_messages():
    """Every message our Spanish catalog or the libraries' catalogs translate."""
    yield from (message for message in _read(SPANISH) if message.id)
    for name in THIRD_PARTY_CATALOGS:
        yield from (message for message in _third_party(name) if message.id)


def test_every_formal_string_of_the_libraries_is_overridden_in_ours() -> None:
    ours = _read(SPANISH)
    missing = [
        (name, message.id)
        for name in THIRD_PARTY_CATALOGS
        for message in _third_party(name)
        if message.id
        and any(FORMAL.search(text) or OTHER_TWO_FACTOR_TERMS.search(text) for text in _texts(message.string))
        and ours.get(message.id, context=message.context) is None
    ]
    assert missing == [], f"formal or off-term Spanish not overridden in {SPANISH}: {missing}"


def test_no_spanish_string_we_serve_says_usted() -> None:
    formal = {
        str(message.id): text
        for message in _served_messages()
        for text in _effective(message)
        if FORMAL.search(text)
    }
    assert formal == {}, f"formal register served in Spanish: {formal}"


def test_two_factor_has_one_name_in_spanish() -> None:
    off_term = {}
    unnamed = {}
    for message in _served_messages():
        english = " ".join(_texts(message.id))
        for text in _effective(message):
            if OTHER_TWO_FACTOR_TERMS.search(text):
                off_term[str(message.id)] = text
            if (
                re.search(r"two[- ]factor|two[- ]step|\b2FA\b", english, re.I)
                and TWO_FACTOR_TERM not in text.lower()
            ):
                unnamed[str(message.id)] = text
    assert off_term == {}, f"another name for two-factor: {off_term}"
    assert unnamed == {}, f"two-factor not called {TWO_FACTOR_TERM!r}: {unnamed}"


def test_the_formal_pattern_catches_what_it_must() -> None:
    # The pattern is the test's whole strength: prove it on allauth's own formal strings and that it
    # leaves tú alone.
    for formal in (
        "¿Ha olvidado su contraseña?",
        "Por favor, confirme su dirección de correo electrónico",
        "Introduzca una dirección de correo electrónico válida.",
        "Su cuenta está protegida.",
        "¿Seguro que desea cerrar sesión?",
        "Use uno de los siguientes formatos.",
    ):
        assert FORMAL.search(formal), formal
    for informal in (
        "¿Has olvidado tu contraseña?",
        "Confirma tu dirección de correo electrónico",
        "Introduce una dirección de correo electrónico válida.",
        "La clave y su valor.",
        "Usar una clave de seguridad",
    ):
        assert not FORMAL.search(informal), informal


def _page_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _assert_one_voice(response, url: str) -> None:
    assert response.status_code == 200, url
    assert '<html lang="es"' in response.text, url
    text = _page_text(response.text)
    assert not FORMAL.search(text), f"{url}: formal Spanish: {FORMAL.search(text).group(0)!r} in {text}"
    assert not OTHER_TWO_FACTOR_TERMS.search(text), f"{url}: another name for two-factor in {text}"


@pytest.mark.django_db
def test_the_account_pages_say_tu_in_spanish(client: Client, alice: User) -> None:
    spanish = {"HTTP_ACCEPT_LANGUAGE": "es"}
    for url in (
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/password/reset/done/",
        "/accounts/confirm-email/",
    ):
        _assert_one_voice(client.get(url, **spanish), url)
    # Form errors too: Django's validators and allauth's messages.
    signup = client.post(
        "/accounts/signup/", {"email": "not-an-email", "password1": "1", "password2": "2"}, **spanish
    )
    assert "Introduce una dirección de correo electrónico válida." in _page_text(signup.text)
    _assert_one_voice(signup, "signup with errors")
    login = client.post("/accounts/login/", {"login": alice.email, "password": "wrong"}, **spanish)
    _assert_one_voice(login, "login with a wrong password")

    alice.language = "es"
    alice.save(update_fields=["language"])
    sign_in(client, alice.email)
    for url in (
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
        "/accounts/sessions/",
        "/accounts/logout/",
        "/accounts/reauthenticate/",
        "/accounts/security/",
    ):
        _assert_one_voice(client.get(url, follow=True), url)
    assert TWO_FACTOR_TERM in _page_text(client.get("/accounts/2fa/").text).lower()


@pytest.mark.django_db
def test_the_two_factor_pages_say_tu_in_spanish(alice: User) -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    alice.language = "es"
    alice.save(update_fields=["language"])
    TOTP.activate(alice, TOTP_SECRET)
    RecoveryCodes.activate(alice)
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    sign_in(client, alice.email)
    authenticate = client.get("/accounts/2fa/authenticate/")
    _assert_one_voice(authenticate, "/accounts/2fa/authenticate/")
    assert TWO_FACTOR_TERM in _page_text(authenticate.text).lower()
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    for url in (
        "/accounts/2fa/",
        "/accounts/2fa/totp/deactivate/",
        "/accounts/2fa/recovery-codes/",
        "/accounts/2fa/recovery-codes/generate/",
    ):
        _assert_one_voice(client.get(url, follow=True), url)
