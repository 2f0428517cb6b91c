"""Masking of personal data in user text, and pseudonymous conversation keys.

:func:`mask` replaces, in English, Khmer and mixed text, with typed placeholders:

- ``<PHONE>``: Cambodian numbers (``012 345 678``, ``012.345.678``, ``012,345,678``,
  ``012/345/678``, ``012_345_678``, thin or narrow no-break spaces, ``+855 12 345 678``,
  ``(+855) 97-123-4567``, ``855…``), Khmer digits (``០១២ ៣៤៥ ៦៧៨``) and other ``+``-numbers;
- ``<DOB>``: a date of birth ("born 12-05-1990", "date of birth: 3 March 1988", "DOB 1991-07-14",
  ``កើតថ្ងៃទី ១២ ខែ ០៥ ឆ្នាំ ១៩៩០``, ``ថ្ងៃខែឆ្នាំកំណើត ១២/០៥/១៩៩០``); a year alone stays;
- ``<EMAIL>``;
- ``<ID>``, ``<NSSF_NUMBER>``, ``<CARD>``, ``<ACCOUNT>``: a code after a keyword (``ID``, ``NSSF
  number``, ``card no``, ``account``, ``អត្តសញ្ញាណប័ណ្ណ``, ``លេខ ប.ស.ស.``, ``គណនី`` ...);
  ``<NUMBER>``: any other run of 8 or more digits (dates excepted);
- ``<QUERY>``: the query string and fragment of a URL (the host and path stay);
- ``<NAME>``: the words after "my name is", "name:", ``ខ្ញុំឈ្មោះ`` or ``ឈ្មោះខ្ញុំ``; after "I am" /
  "I'm" a capitalised word ("I am Sokha", not "I am pregnant"), after ``ខ្ញុំជា`` a word that is
  not a role (``ខ្ញុំជា សុខា``, not ``ខ្ញុំជាកម្មករ``).

Masking errs on the side of hiding too much. The hotline (1286), amounts with separators
("1,000,000") and dates stay readable. :func:`conversation_key` is a keyed HMAC of a sender id:
stable for one key, unlinkable without it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable

from bot.language import khmer_digits_to_ascii, strip_zero_width
from bot.numbers.lexicon import MONTH_NAMES

PHONE = "<PHONE>"
EMAIL = "<EMAIL>"
NAME = "<NAME>"
QUERY = "<QUERY>"
NUMBER = "<NUMBER>"
ID_PLACEHOLDERS = {"id": "<ID>", "nssf": "<NSSF_NUMBER>", "card": "<CARD>", "account": "<ACCOUNT>"}

_SEP = r"[ .,/_\-\u00a0\u2007\u2009\u202f]"
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# Keyword, optional "number/no./#/:", then a code with at least 4 digits or letters+digits.
# The first matching kind wins: "ID card" is an ID, not a card.
_ID_KEYWORDS = {
    "id": r"(?:national\s*)?id(?:\s*card)?|identity\s*card|passport|អត្តសញ្ញាណប័ណ្ណ|អត្តសញ្ញាណ"
    r"|លិខិតឆ្លងដែន",
    "nssf": r"nssf|n\.s\.s\.f\.?|ប\.ស\.ស\.?|បសស|សន្តិសុខសង្គម",
    "account": r"(?:bank\s*)?(?:account|acct|a/c)|គណនី(?:ធនាគារ)?|aba|acleda|wing",
    "card": r"(?:credit|debit|atm|bank|health|member(?:ship)?)?\s*card|កាត|ប័ណ្ណ",
}
_NUMBER_WORDS = r"(?:\s*(?:number|num|no\.?|nr\.?|#|លេខ|is|of\s+mine|mine|របស់ខ្ញុំ|គឺ|:|៖|=))*"
# Groups of letters and digits separated by single spaces, hyphens or slashes; each group after
# the first starts with a digit, so the words that follow a code are not taken for it.
_CODE = r"[A-Za-z]{0,3}[\-/]?\d[\dA-Za-z\-/]*(?: \d[\dA-Za-z\-/]*)*"
MIN_CODE_DIGITS = 4
_ID_RES = {
    kind: re.compile(
        rf"(?:^|(?<=[^A-Za-z]))(?:my\s+|លេខ\s*)?(?:{kw}){_NUMBER_WORDS}\s*(?P<code>{_CODE})",
        re.IGNORECASE,
    )
    for kind, kw in _ID_KEYWORDS.items()
}
_PHONE_INTL = re.compile(
    rf"(?<![\dA-Za-z])(?:\(\s*\+?\s*855\s*\)|\+\s?855|00\s?855|855)"
    rf"{_SEP}*(?:\(0\)|\(?0?\)?){_SEP}*\(?[1-9]\d\)?(?:{_SEP}?\d){{6,7}}(?!\d)"
)
_PHONE_LOCAL = re.compile(rf"(?<![\dA-Za-z])\(?0[1-9]\d\)?(?:{_SEP}?\d){{6,7}}(?!\d)")
_PHONE_OTHER = re.compile(rf"\+\s?\d(?:{_SEP}?\(?\d\)?){{7,14}}(?!\d)")
_LONG_NUMBER = re.compile(r"(?<![\d,])\d(?:[ \-]?\d){7,}(?![\d,])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}-\d{2}-\d{4}")

_NAME_EN = re.compile(
    r"\b(?:my\s+name\s+is|my\s+name's|my\s+names\s+is|i\s+am\s+called|i'm\s+called"
    r"|name\s*[:：=])\s*",
    re.IGNORECASE,
)
_NAME_KM = re.compile(r"(?:ខ្ញុំ\s*ឈ្មោះ|ឈ្មោះ\s*ខ្ញុំ(?:\s*គឺ)?|ឈ្មោះ\s*[:៖])\s*")
# "I am Sokha" / "ខ្ញុំជា សុខា": a name only when the next word is one (see _introduces_a_name)
_I_AM_EN = re.compile(r"\b[Ii](?:\s+am|['’]m)\s+(?=[A-Z][a-z])")
_I_AM_KM = re.compile(r"ខ្ញុំ\s*ជា\s*")
_NOT_NAMES_EN = frozenset(
    "cambodian khmer english chinese vietnamese thai muslim buddhist christian ok okay sorry sure"
    " not pregnant sick new still very also".split()
)
_ROLES_KM = (
    "កម្មករ",
    "កម្មការិនី",
    "បុគ្គលិក",
    "ម្ចាស់",
    "និយោជក",
    "ស្ត្រី",
    "ម្តាយ",
    "ម្ដាយ",
    "ឪពុក",
    "អ្នក",
    "សិស្ស",
    "និស្សិត",
    "គ្រូ",
    "មន្ត្រី",
    "ប្រពន្ធ",
    "ប្តី",
    "ប្ដី",
    "កូន",
    "មនុស្ស",
    "ជនជាតិ",
    "សមាជិក",
    "តំណាង",
    "ពលករ",
    "អតីត",
    "ជាង",
    "ពេទ្យ",
    "ប្រធាន",
    "មេ",
    "ឈ្មោះ",
)
_MONTHS = "|".join(re.escape(w) for w in sorted(MONTH_NAMES, key=len, reverse=True))
# a day, a month and a year in any order people write them (digits, month names, ខែ/ឆ្នាំ/ទី)
_DATE_PART = rf"(?:\d{{1,4}}|{_MONTHS})"
_DATE_GLUE = r"(?:\s*(?:ខែ|ឆ្នាំ|ទី)?\s*[\-/.,]?\s*(?:ខែ|ឆ្នាំ|ទី)?\s*)"
_DOB = re.compile(
    rf"(?:\b(?:born(?:\s+on)?|date\s+of\s+birth|d\.?o\.?b\.?|birth\s*day|birth\s*date)"
    rf"|កើត(?:នៅ)?(?:ថ្ងៃ)?|ថ្ងៃ\s*ខែ\s*ឆ្នាំ\s*កំណើត|ថ្ងៃ\s*កំណើត)"
    rf"\s*(?:is|was|:|៖|-)?\s*(?:ទី\s*)?"
    rf"(?P<date>{_DATE_PART}(?:{_DATE_GLUE}{_DATE_PART}){{2}})",
    re.IGNORECASE,
)
DOB = "<DOB>"
_EN_STOP = frozenset(
    "and but i im i'm my from work working at in is am was please can how what when where why "
    "the a an to with who will would do does did have has need want age aged years old so or"
    " thanks thank hi hello".split()
)
# Khmer words that start what comes after a name: the name ends before them.
_KM_STOP = (
    "ខ្ញុំ",
    "តើ",
    "ហើយ",
    "និង",
    "ធ្វើការ",
    "មាន",
    "ចង់",
    "អាយុ",
    "លេខ",
    "នៅ",
    "ជា",
    "បាទ",
    "ចាស",
    "សុំ",
    "សូម",
    "ទើប",
    "បាន",
    "មក",
)
_WORD = re.compile(r"[A-Za-z\u1780-\u17ff][\w\u1780-\u17ff'’\-]*")


def _replace(text: str, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]) -> str:
    """Apply ``repl`` to every match of ``pattern`` found in the ASCII-digit copy of ``text``.

    Khmer digits map one-to-one to ASCII digits, so spans in the copy are spans in ``text``.
    """
    probe = khmer_digits_to_ascii(text)
    out, pos = [], 0
    for m in pattern.finditer(probe):
        out.append(text[pos : m.start()])
        out.append(repl(m))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _mask_url(m: re.Match[str]) -> str:
    url = m.group(0)
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=-1)
    return url if cut < 0 else url[:cut] + "?" + QUERY


def _mask_id(kind: str) -> Callable[[re.Match[str]], str]:
    def repl(m: re.Match[str]) -> str:
        if sum(c.isdigit() for c in m.group("code")) < MIN_CODE_DIGITS:
            return m.group(0)  # "card 2 days ago": not a number worth hiding
        start = m.start("code") - m.start()
        return m.group(0)[:start] + ID_PLACEHOLDERS[kind]

    return repl


def _mask_long_number(m: re.Match[str]) -> str:
    return m.group(0) if _DATE.fullmatch(m.group(0)) else NUMBER


def _introduces_a_name(m: re.Match[str], text: str) -> bool:
    """Whether an "I am" / ``ខ្ញុំជា`` is followed by a name rather than a state or a role."""
    if m.re not in (_I_AM_EN, _I_AM_KM):
        return True
    word = _WORD.match(text, m.end())
    if not word:
        return False
    token = word.group(0)
    if "\u1780" <= token[0] <= "\u17ff":
        return m.re is _I_AM_KM and not token.startswith(_ROLES_KM)
    return token[0].isupper() and token.lower() not in _NOT_NAMES_EN | _EN_STOP


def _mask_dob(m: re.Match[str]) -> str:
    start = m.start("date") - m.start()
    return m.group(0)[:start] + DOB


def _mask_names(text: str) -> str:
    out, pos = [], 0
    found = [p.finditer(text) for p in (_NAME_EN, _NAME_KM, _I_AM_EN, _I_AM_KM)]
    for m in sorted((m for f in found for m in f), key=lambda m: m.start()):
        if m.start() < pos or not _introduces_a_name(m, text):
            continue
        out.append(text[pos : m.end()])
        end = _name_end(text, m.end())
        if end > m.end():
            out.append(NAME)
            pos = end
        else:
            pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _name_end(text: str, start: int) -> int:
    """Where the name that starts at ``start`` ends: up to three words, stopping at a stop word."""
    end, words = start, 0
    while words < 3:
        gap = re.match(r"[ \u00a0]*", text[end:])
        offset = end + (gap.end() if gap else 0)
        word = _WORD.match(text, offset)
        if not word:
            break
        token = word.group(0)
        if token.lower() in _EN_STOP:
            break
        if "\u1780" <= token[0] <= "\u17ff":
            cut = _khmer_name_length(token, first=words == 0)
            if cut == 0:
                break
            end = offset + cut
            words += 1
            if cut < len(token):
                break
            continue
        end = word.end()
        words += 1
    return end


def _khmer_name_length(token: str, first: bool) -> int:
    """How much of a Khmer run is the name: up to the first stop word (the whole run if none)."""
    if not first and token.startswith(_KM_STOP):
        return 0
    cut = len(token)
    for stop in _KM_STOP:
        i = token.find(stop, 2)
        if 0 < i < cut:
            cut = i
    return cut


def mask(text: str) -> str:
    """``text`` with personal data replaced by typed placeholders (see the module docstring)."""
    text = strip_zero_width(text)
    text = _replace(text, _URL, _mask_url)
    text = _replace(text, _EMAIL, lambda m: EMAIL)
    text = _replace(text, _DOB, _mask_dob)
    for kind, pattern in _ID_RES.items():
        text = _replace(text, pattern, _mask_id(kind))
    for pattern in (_PHONE_INTL, _PHONE_LOCAL, _PHONE_OTHER):
        text = _replace(text, pattern, lambda m: PHONE)
    text = _replace(text, _LONG_NUMBER, _mask_long_number)
    return _mask_names(text)


def conversation_key(sender_id: str, key: bytes) -> str:
    """A pseudonym for a sender: hex HMAC-SHA256 of the id under ``key`` (32 characters)."""
    if not key:
        raise ValueError("the conversation key needs a non-empty secret")
    return hmac.new(key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
