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
list of the values known to be secret. A URL's *user name* is a credential too when it is where a
token goes: always for web and object-store schemes (``https://ghp_...@host``, ``s3a://KEY@bucket``,
which name no user but a key), and for any scheme when the name has a token's shape (a token
vendor's prefix, or a long run of mixed-case letters and digits: ``S3cr3tTokenValue``) rather
than a login's (``reporting``, ``svc_itvalue``, ``jane.doe``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

__all__ = ["MASK", "is_secret_name", "looks_like_token", "credentials_in", "mask_secrets", "masked_parameters"]

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
# user@ (no password) right after a scheme's //
_USER = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<user>[^/?#@\s:]+)@")
# Schemes whose user name, when there is one, is a key or a token, never a login: a web server's
# ``https://TOKEN@host`` (GitHub, GitLab, Azure DevOps), an object store's ``s3a://ACCESS_KEY@bucket``.
# (Azure's abfs/wasbs put the container there, so they are judged by shape like databases.)
_TOKEN_USER_SCHEMES = {"http", "https", "ftp", "ftps", "s3", "s3a", "s3n", "gs", "gcs"}
# Prefixes token vendors put on their tokens (GitHub, GitLab, Slack, OpenAI-like sk-, AWS key ids,
# npm, PyPI, Hugging Face, DigitalOcean, SendGrid, Google OAuth, JWTs).
_TOKEN_PREFIX = re.compile(r"^(gh[pousr]_|github_pat_|glpat-|xox[abposr]-|sk[-_]|rk_live_|AKIA|ASIA|npm_|pypi-|hf_|"
                           r"dop_v1_|SG\.|ya29\.|eyJ)", re.IGNORECASE)
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


def looks_like_token(value: str) -> bool:
    """Whether a name (a URL's user name) has a token's shape rather than a login's.

    A token vendor's prefix, a long hexadecimal string, or twelve or more letters and digits with
    upper case, lower case and digits all mixed and no separator, which logins seldom are
    (PostgreSQL folds unquoted role names to lower case).

    Examples
    --------
    >>> [looks_like_token(n) for n in ("S3cr3tTokenValue", "ghp_abc", "reporting", "svc_itvalue", "jane.doe", "Alice")]
    [True, True, False, False, False, False]
    """
    text = unquote_plus(str(value)).strip()
    if _TOKEN_PREFIX.match(text) or re.fullmatch(r"[0-9a-fA-F]{32,}", text):
        return True
    if len(text) < 12 or not re.fullmatch(r"[A-Za-z0-9+/=~_-]+", text):
        return False
    return all(re.search(kind, text) for kind in ("[a-z]", "[A-Z]", "[0-9]")) or (
        len(text) >= 24 and bool(re.search("[0-9]", text)) and bool(re.search("[A-Za-z]", text)))


def _user_is_credential(scheme: str, user: str) -> bool:
    """A URL's user name (given without a password) is a token: by its scheme or by its shape."""
    return scheme.lower() in _TOKEN_USER_SCHEMES or looks_like_token(user)


def credentials_in(url: str) -> list[str]:
    """The credentials a URL holds, by where they are: ``password in user:password@``, a user name that is a
    token, and each secret query or fragment name."""
    found = []
    match = _USERINFO.match(url)
    if match and match.group("secret"):
        found.append("the password in user:password@")
    user = _USER.match(url)
    if user and _user_is_credential(user.group("scheme"), user.group("user")):
        found.append("a token as the user name in user@")
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
    text = _URL.sub(lambda m: _masked_userinfo(m.group(0)), str(text))
    pieces, done = [], 0
    for head in _HEAD.finditer(text):
        value = _VALUE.match(text, head.end())
        if value is None or value.start() < done or value.group(0) == MASK or not is_secret_name(head.group("name")):
            continue
        pieces += [text[done:value.start()], MASK]
        done = value.end()
    return "".join(pieces) + text[done:]


def _masked_userinfo(url: str) -> str:
    """The URL with the password of its ``user:password@`` masked, or its user name when that is a token."""
    url = _USERINFO.sub(lambda u: f"{u.group('head')}:{MASK}@" if u.group("secret") else u.group(0), url)
    return _USER.sub(lambda u: f"{u.group('scheme')}://{MASK}@" if _user_is_credential(u.group("scheme"), u.group("user"))
                     else u.group(0), url)


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
