"""The visitor's language, and the server's messages in it (the one catalogue of
`boletia.lab.i18n.messages`, shared with the pages and the CLI).

The language: `?lang=es|en` (the pages' switch, which the pages route keeps in a cookie), else
that cookie, else the browser's Accept-Language, else English. Outside a request: English."""

from __future__ import annotations

from flask import has_request_context, request

from boletia.lab.i18n import messages

COOKIE = "boletia_lang"


def language() -> str:
    """The visitor's language, as the module's docstring says."""
    if not has_request_context():
        return messages.DEFAULT
    return (messages.pick(request.args.get("lang")) or messages.pick(request.cookies.get(COOKIE))
            or request.accept_languages.best_match(messages.LANGUAGES, default=messages.DEFAULT))


def _(msgid: str, **params: object) -> str:
    """`msgid` in the visitor's language, its `{name}` placeholders filled."""
    return messages.translate(msgid, language(), **params)
