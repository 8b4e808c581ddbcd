"""Credentials in text: which names hold one, and masking them by rule wherever they appear.

A source names where data is, never a secret: passwords and tokens come from the database's
own mechanisms (``PGPASSWORD`` and the other ``PG*`` variables, ``~/.pgpass``, a service file
named by ``PGSERVICE``, cloud credentials). :func:`credentials_in` lists what a URL holds so
that :mod:`helpers.inputs.sources` refuses it before any connection; :func:`mask_secrets` and
:func:`masked_parameters` replace every value a rule recognises with ``***`` in what the kit
writes or prints (messages, ``run.json``, the index, the report and the executed notebook).

The rule is by the *name* a value is given under, whatever its case, its separators or its
percent-encoding (``password``, ``PWD``, ``pass%77ord``, ``Api-Key``, ``access_token``,
``X-Amz-Signature``), and by position (the password of a URL's ``user:password@``), not by a
list of the values known to be secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

__all__ = ["MASK", "is_secret_name", "credentials_in", "mask_secrets", "masked_parameters"]

#: What a secret is replaced with.
MASK = "***"

# Words that make a name a credential's. Matched against the name's words (split at separators and
# camelCase), and as parts of a glued name (sslpassword, apikey, accesstoken).
_SECRET_WORDS = {"password", "passwd", "pwd", "pass", "passphrase", "secret", "token", "key", "apikey", "auth",
                 "authorization", "credential", "credentials", "signature", "sig", "sas", "bearer", "jwt", "cookie",
                 "session"}
_SECRET_PARTS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "signature")
# libpq options whose value is a file's path or a service's name: where credentials are kept, not one.
_NOT_SECRET = {"passfile", "sslkey", "sslcert", "sslrootcert", "sslcrl", "sslcrldir", "sslkeylogfile", "service",
               "servicefile", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
               "sslcompression", "gssencmode", "krbsrvname", "gsslib", "require_auth", "sslsni"}

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]*")
# user:password@ right after a scheme's //
_USERINFO = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s:]*):(?P<secret>[^/?#@\s]*)@")
# name= in a query, a fragment, or free text (a libpq conninfo, an environment dump, a line of Python, a
# command line's -p name=value); the value is what follows, up to a separator.
_HEAD = re.compile(r"(?:^|(?<=[\s?&#;,({\['\">=]))(?P<name>[A-Za-z0-9_.%+-]+)\s*=\s*['\"]?")
_VALUE = re.compile(r"[^\s&#;,'\"<>)}\]\\]+")


def is_secret_name(name: str) -> bool:
    """Whether a value given under ``name`` (a query key, a parameter) is a credential, whatever its case.

    Examples
    --------
    >>> [is_secret_name(n) for n in ("PassWord", "pass%77ord", "api_key", "X-Amz-Signature", "sslkey", "table")]
    [True, True, True, True, False, False]
    """
    text = unquote_plus(str(name)).strip()
    lowered = text.lower()
    if lowered in _NOT_SECRET:
        return False
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text).lower())
    if any(word in _SECRET_WORDS for word in words):
        return True
    glued = "".join(words)
    return any(part in glued for part in _SECRET_PARTS)


def credentials_in(url: str) -> list[str]:
    """The credentials a URL holds, by where they are: ``password in user:password@``, and each secret query or fragment name."""
    found = []
    match = _USERINFO.match(url)
    if match and match.group("secret"):
        found.append("the password in user:password@")
    scheme_and_rest = url.split("://", 1)[-1]
    for part in re.split(r"[?#]", scheme_and_rest)[1:]:
        for pair in re.split(r"[&;]", part):
            name, equals, _value = pair.partition("=")
            if equals and is_secret_name(name):
                found.append(f"'{unquote_plus(name)}'")
    return found


def mask_secrets(text: str) -> str:
    """``text`` with every credential a rule recognises replaced by ``***``: in URLs and in name=value pairs.

    Examples
    --------
    >>> mask_secrets("postgres://u:pw@h/db?table=t&PWD=x")
    'postgres://u:***@h/db?table=t&PWD=***'
    """
    text = _URL.sub(lambda m: _USERINFO.sub(lambda u: f"{u.group('head')}:{MASK}@" if u.group("secret") else u.group(0),
                                            m.group(0)), str(text))
    pieces, done = [], 0
    for head in _HEAD.finditer(text):
        value = _VALUE.match(text, head.end())
        if value is None or value.start() < done or value.group(0) == MASK or not is_secret_name(head.group("name")):
            continue
        pieces += [text[done:value.start()], MASK]
        done = value.end()
    return "".join(pieces) + text[done:]


def masked_parameters(values: Any, name: str = "") -> Any:
    """Parameter values as they may be shown: a secret-named parameter's value masked whole, every text masked by rule.

    Lists and mappings are walked; numbers, booleans and None are kept.
    """
    if name and is_secret_name(name) and values not in (None, "", [], {}):
        return MASK
    if isinstance(values, str):
        return mask_secrets(values)
    if isinstance(values, Mapping):
        return {key: masked_parameters(value, str(key)) for key, value in values.items()}
    if isinstance(values, (list, tuple)):
        return [masked_parameters(value) for value in values]
    return values
