import logging
import re

import polib
from lxml import etree

from odoo.tests import TransactionCase
from odoo.tests import tagged
from odoo.tools.misc import file_path
from odoo.tools.translate import TranslationModuleReader

MODULE = "debt_collection"
# The languages the addon ships besides English (README, issue 14).
LANGUAGES = ("es", "pt_BR", "fr", "bg")
# %s, %d, %(name)s, %(percent).2f, %% and {name}: what formatting fills in.
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0+]*\d*(?:\.\d+)?[a-zA-Z]|%[-#0+]*\d*(?:\.\d+)?[sdifr]|%%|\{\w*\}")
SHOWN = 20


class _ErrorCollector(logging.Handler):
    """Keeps the errors Odoo logs while it extracts the terms (a file it could not read)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages = []

    def emit(self, record):
        error = record.exc_info[1] if record.exc_info else None
        self.messages.append(f"{record.getMessage()}: {error!r}" if error else record.getMessage())


def _markup(term):
    """The tags of an XML term in document order, None when it is not well-formed."""
    try:
        root = etree.fromstring(f"<div>{term}</div>")
    except etree.XMLSyntaxError:
        return None
    return [node.tag for node in root.iter()]


def _listing(items):
    shown = "\n".join(f"  {item}" for item in items[:SHOWN])
    more = f"\n  ... and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return shown + more


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """Every term Odoo extracts from the addon is in the template and translated in each shipped language."""

    longMessage = False  # the message lists the problems; the list's repr would only repeat them

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo's own extraction (as in Settings > Translations > Export), not the .pot:
        # python _()/_lt() strings, views and QWeb templates, field labels, selections,
        # data and demo records of the module.
        logger = logging.getLogger("odoo.tools.translate")
        collector = _ErrorCollector()
        logger.addHandler(collector)
        propagate, logger.propagate = logger.propagate, False
        try:
            reader = TranslationModuleReader(cls.env.cr, modules=[MODULE])
        finally:
            logger.removeHandler(collector)
            logger.propagate = propagate
        cls.extraction_errors = collector.messages
        cls.terms = {}
        for module, ttype, _name, _res_id, source, _value, _comments in reader:
            if module == MODULE:
                cls.terms.setdefault(source, set()).add(ttype)

    def _translation_problems(self, lang):
        path = f"{MODULE}/i18n/{lang}.po"
        try:
            catalog = polib.pofile(file_path(path))
        except FileNotFoundError:
            return [f"{path} is missing"]
        except (OSError, ValueError) as error:
            return [f"{path} cannot be read: {error}"]
        translations = {entry.msgid: entry for entry in catalog if not entry.obsolete}
        problems = []
        for source, ttypes in sorted(self.terms.items()):
            entry = translations.get(source)
            if not entry or not entry.msgstr.strip():
                problems.append(f"not translated: {source!r}")
                continue
            if "fuzzy" in entry.flags:
                problems.append(f"fuzzy (not reviewed): {source!r}")
                continue
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
                problems.append(f"placeholders differ: {source!r} -> {entry.msgstr!r}")
            elif "model_terms" in ttypes and "<" in source and _markup(source) != _markup(entry.msgstr):
                problems.append(f"markup differs: {source!r} -> {entry.msgstr!r}")
        return problems

    def test_terms_are_extracted(self):
        self.assertFalse(
            self.extraction_errors,
            "Odoo could not extract the translatable terms of some files (their terms are left out of "
            "every translation):\n" + _listing(self.extraction_errors),
        )
        # The extraction sees python strings, field labels and view terms.
        self.assertIn("The file is empty.", self.terms)
        self.assertIn("Collection Case", self.terms)
        self.assertIn("<strong>Debtor</strong>", self.terms)

    def test_template_has_every_term(self):
        template = polib.pofile(file_path(f"{MODULE}/i18n/{MODULE}.pot"))
        missing = sorted(set(self.terms) - {entry.msgid for entry in template if not entry.obsolete})
        self.assertFalse(
            missing,
            f"i18n/{MODULE}.pot lacks {len(missing)} term(s); export it again (odoo-bin --i18n-export) "
            "and translate the new terms:\n" + _listing([repr(term) for term in missing]),
        )

    def test_every_term_is_translated(self):
        for lang in LANGUAGES:
            with self.subTest(lang=lang):
                problems = self._translation_problems(lang)
                self.assertFalse(
                    problems, f"i18n/{lang}.po: {len(problems)} problem(s) for {lang}:\n" + _listing(problems)
                )
