"""Encrypt the two-factor secrets allauth stored in plaintext (TOTP secrets, recovery-code seeds).

From now on accounts.mfa.MFAAdapter encrypts them as they are written; this converts the rows
written before. Values already carrying our prefix are left alone, so running it twice is safe.
Reversing decrypts them again (for going back to a release that reads plaintext).
"""

from __future__ import annotations

from django.db import migrations

from accounts.mfa import decrypt_secret, encrypt_secret, is_encrypted


def _convert(data: dict, convert) -> bool:
    """Apply ``convert`` to each secret in an authenticator's ``data``; whether anything changed."""
    changed = False
    for key in ("secret", "seed"):
        if isinstance(data.get(key), str):
            new = convert(data[key])
            changed |= new != data[key]
            data[key] = new
    # Codes carried over from django-allauth-2fa are kept as a list, each encrypted on its own.
    if isinstance(data.get("migrated_codes"), list):
        new_codes = [convert(code) for code in data["migrated_codes"]]
        changed |= new_codes != data["migrated_codes"]
        data["migrated_codes"] = new_codes
    return changed


def encrypt_rows(apps, schema_editor) -> None:
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type__in=["totp", "recovery_codes"]).iterator():
        if _convert(authenticator.data, lambda v: v if is_encrypted(v) else encrypt_secret(v)):
            authenticator.save(update_fields=["data"])


def decrypt_rows(apps, schema_editor) -> None:
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type__in=["totp", "recovery_codes"]).iterator():
        if _convert(authenticator.data, lambda v: decrypt_secret(v) if is_encrypted(v) else v):
            authenticator.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_apikey"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_rows, decrypt_rows)]
