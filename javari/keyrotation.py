"""Master-key rotation: every encrypted value re-encrypted under the first ``FIELD_ENCRYPTION_KEY``.

``FIELD_ENCRYPTION_KEY`` is a list (javari/fields.py, ``MultiFernet``): the first key encrypts,
every one decrypts. To retire a key, put a new one first, run ``rotate_encryption_key``, and drop
the old key only once the report says no row uses it. The steps:

1. Find every concrete column of an encrypted field (``EncryptedCharField``/``EncryptedTextField``,
   ours or the library's) through the app registry: chat's model keys, the calendar feed tokens,
   integration credentials, and whatever model adds one later, with no list to keep up to date;
   and the two-factor secrets allauth keeps in JSON, encrypted with the same keys (accounts/mfa.py).
2. For each column, walk the rows by primary key in batches (``batch_size``). Each batch is one
   transaction with its rows locked (``SELECT … FOR UPDATE``), so a save by the app can't
   interleave. The stored token is read raw (``Cast`` to text: the field's decryption never runs),
   and a token under an older key is re-encrypted with ``MultiFernet.rotate`` and written back
   with plain SQL (so the field doesn't encrypt it a second time). A token already under
   the first key is left alone: running it twice writes nothing the second time.
3. A token that no key decrypts is never changed: it is reported (model, primary key, field).
4. Count, for each key, how many stored tokens it decrypts (each key tried alone, in order: a
   token counts for the first key that opens it). A key is removable only when it holds no row; the
   first key never is (it encrypts).

Nothing here prints or returns a value or a key: keys are named by their position in the list.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.db.models.functions import Cast
from encrypted_model_fields.fields import EncryptedMixin

DEFAULT_BATCH_SIZE = 500
_RAW = "_raw_token"


@dataclass(frozen=True)
class EncryptedColumn:
    """One encrypted field of one model: each row holds one token (or null)."""

    model: type[models.Model]
    field: str

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field}"

    def rows(self) -> QuerySet[Any]:
        return self.model._default_manager.exclude(**{f"{self.field}__isnull": True})

    def tokens(self, pks: list[Any], *, lock: bool) -> list[tuple[Any, dict[str, str]]]:
        """``(pk, {field: stored token})`` of those rows, read as text so that the field's
        decryption doesn't run."""
        rows = self.model._default_manager.filter(pk__in=pks).order_by("pk")
        if lock:
            rows = rows.select_for_update()
        annotated = rows.annotate(**{_RAW: Cast(self.field, output_field=models.TextField())})
        return [(pk, {self.field: raw}) for pk, raw in annotated.values_list("pk", _RAW) if raw is not None]

    def write(self, pk: Any, tokens: dict[str, str]) -> None:
        # Plain SQL: through the ORM the field would encrypt the token a second time (an
        # expression too: Django 5.2 hands it to get_db_prep_save, which encrypts its repr).
        meta = self.model._meta
        encrypted, pk_field = meta.get_field(self.field), meta.pk
        assert isinstance(encrypted, models.Field)
        assert pk_field is not None
        column, pk_column = encrypted.column, pk_field.column
        assert column is not None
        assert pk_column is not None
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET {quote(column)} = %s "  # noqa: S608 (names are quoted)
                f"WHERE {quote(pk_column)} = %s",
                [tokens[self.field], pk_field.get_db_prep_value(pk, connection)],
            )


@dataclass(frozen=True)
class AuthenticatorSecrets:
    """allauth's two-factor authenticators: ``data`` (JSON) holds the TOTP secret and the recovery
    codes' seed encrypted with the same keys (accounts/mfa.py, ``fernet:``-prefixed). Not an
    encrypted field, but dropping a key they use would lock their owners out, so they rotate too."""

    model: type[models.Model]

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.data"

    def rows(self) -> QuerySet[Any]:
        return self.model._default_manager.all()

    def tokens(self, pks: list[Any], *, lock: bool) -> list[tuple[Any, dict[str, str]]]:
        from accounts.mfa import ENCRYPTED_PREFIX

        rows = self.model._default_manager.filter(pk__in=pks).order_by("pk")
        if lock:
            rows = rows.select_for_update()
        found = []
        for pk, data in rows.values_list("pk", "data"):
            secrets = {
                f"data.{key}": value.removeprefix(ENCRYPTED_PREFIX)
                for key, value in (data or {}).items()
                if isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX)
            }
            if secrets:
                found.append((pk, secrets))
        return found

    def write(self, pk: Any, tokens: dict[str, str]) -> None:
        from accounts.mfa import ENCRYPTED_PREFIX

        row = self.model._default_manager.filter(pk=pk)
        data = dict(row.values_list("data", flat=True).get())
        for name, token in tokens.items():
            data[name.removeprefix("data.")] = f"{ENCRYPTED_PREFIX}{token}"
        row.update(data=data)


Source = EncryptedColumn | AuthenticatorSecrets


@dataclass(frozen=True)
class Undecryptable:
    """A stored value that no key decrypts: where it is, never what it is."""

    model: str
    pk: str
    field: str


@dataclass
class KeyReport:
    """What a rotation (or a check) found. ``rows_per_key[i]`` is how many stored values key ``i``
    (0: the first, which encrypts) decrypts; ``rotated`` how many values this run re-encrypted;
    ``columns`` what was looked at (``app.Model.field``)."""

    columns: list[str] = field(default_factory=list)
    rows_per_key: list[int] = field(default_factory=list)
    rotated: int = 0
    undecryptable: list[Undecryptable] = field(default_factory=list)

    def removable(self, index: int) -> bool:
        """Whether key ``index`` can be taken out of the list: not the first, and no row uses it."""
        return index > 0 and self.rows_per_key[index] == 0


def _keys() -> list[Fernet]:
    configured = settings.FIELD_ENCRYPTION_KEY
    keys = [configured] if isinstance(configured, str) else list(configured)
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY names no key.")
    try:
        return [Fernet(key) for key in keys]
    except (ValueError, TypeError) as exc:
        message = f"FIELD_ENCRYPTION_KEY holds a key that isn't a Fernet key: {exc}"
        raise ImproperlyConfigured(message) from exc


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted field of every installed model (proxies and unmanaged models left out)."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        for model_field in meta.concrete_fields:
            if isinstance(model_field, EncryptedMixin):
                found.append(EncryptedColumn(model=model, field=model_field.name))
    return sorted(found, key=lambda column: column.label)


def encrypted_sources() -> list[Source]:
    """What holds values encrypted with ``FIELD_ENCRYPTION_KEY``: the encrypted fields, and the
    two-factor authenticators' secrets when allauth's MFA is installed."""
    sources: list[Source] = list(encrypted_columns())
    if apps.is_installed("allauth.mfa"):
        sources.append(AuthenticatorSecrets(model=apps.get_model("mfa", "Authenticator")))
    return sources


def _key_index(keys: list[Fernet], token: str) -> int | None:
    """The position of the first key that decrypts ``token``, or None."""
    try:
        data = token.encode("ascii")  # a Fernet token is URL-safe base64
    except UnicodeError:
        return None
    for index, key in enumerate(keys):
        try:
            key.decrypt(data)
        except InvalidToken:
            continue
        return index
    return None


def _batches(source: Source, batch_size: int) -> Iterator[list[Any]]:
    """The source's primary keys (rows with a value), in order, ``batch_size`` at a time."""
    last: Any = None
    while True:
        rows = source.rows().order_by("pk")
        if last is not None:
            rows = rows.filter(pk__gt=last)
        pks = list(rows.values_list("pk", flat=True)[:batch_size])
        if not pks:
            return
        yield pks
        last = pks[-1]


def _rotate_batch(source: Source, pks: list[Any], keys: list[Fernet], report: KeyReport) -> None:
    crypter = MultiFernet(keys)
    with transaction.atomic(durable=True):
        for pk, tokens in source.tokens(pks, lock=True):
            rotated = {}
            for name, token in tokens.items():
                index = _key_index(keys, token)
                if index is None or index == 0:
                    continue  # reported by the count; already under the first key
                rotated[name] = crypter.rotate(token.encode("ascii")).decode("ascii")
            if rotated:
                source.write(pk, {**tokens, **rotated})
                report.rotated += len(rotated)


def _count(sources: list[Source], keys: list[Fernet], batch_size: int, report: KeyReport) -> None:
    report.rows_per_key = [0] * len(keys)
    for source in sources:
        for pks in _batches(source, batch_size):
            for pk, tokens in source.tokens(pks, lock=False):
                for name, token in tokens.items():
                    index = _key_index(keys, token)
                    if index is None:
                        report.undecryptable.append(
                            Undecryptable(model=source.model._meta.label, pk=str(pk), field=name)
                        )
                    else:
                        report.rows_per_key[index] += 1


def rotate_encryption_key(*, batch_size: int = DEFAULT_BATCH_SIZE, check_only: bool = False) -> KeyReport:
    """Re-encrypt every encrypted value under the first key of ``FIELD_ENCRYPTION_KEY`` (unless
    ``check_only``), ``batch_size`` rows a transaction, then count the rows each key holds.

    ``batch_size``: rows per transaction, a whole number ≥ 1. Returns a ``KeyReport``; values no
    key decrypts are in ``report.undecryptable``, untouched. Each batch is durable (call it outside
    any transaction). Raises ``ImproperlyConfigured`` for a key list that isn't Fernet keys and
    ``ValueError`` for a batch size < 1.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError("batch_size must be a whole number of at least 1.")
    keys = _keys()
    sources = encrypted_sources()
    report = KeyReport(columns=[source.label for source in sources])
    if not check_only and len(keys) > 1:
        for source in sources:
            for pks in _batches(source, batch_size):
                _rotate_batch(source, pks, keys, report)
    _count(sources, keys, batch_size, report)
    return report
