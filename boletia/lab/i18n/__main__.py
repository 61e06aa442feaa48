"""Maintaining the editions (for whoever edits the English lessons or translates them):

    python -m boletia.lab.i18n extract    # update the catalogues from the English sources
    python -m boletia.lab.i18n missing    # what is untranslated or fuzzy, per lesson and doc
    python -m boletia.lab.i18n docs       # render docs/locale/<lang>/*.md from their catalogues
"""

import sys

from boletia.lab.i18n import editions


def main(argv: list[str]) -> int:
    verb = argv[0] if argv else ""
    if verb == "extract":
        for path in editions.extract():
            print(path)
    elif verb == "docs":
        for lang in editions.LANGUAGES:
            for path in editions.write_docs(lang):
                print(path)
    elif verb == "missing":
        gaps = {lang: editions.missing(lang) for lang in editions.LANGUAGES}
        for lang, names in gaps.items():
            for name, msgids in names.items():
                print(f"{lang} {name}: {len(msgids)} untranslated or fuzzy")
        return 1 if any(gaps.values()) else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
