"""The word lists the ticket generator writes subjects, bodies and names from, and the search benchmark draws from.

Everything here is plain lower-case ASCII (names capitalised), so the generator's SQL tokenises text exactly as
:func:`modules.tickets.search_text.tokens` does (runs of ``[a-z0-9]``).  :data:`VOCABULARY` is ordered by rank:
the generator picks word ``1 + floor(len * random() ^ SKEW)``, so the first words are common (``printer`` is in
about one article in seven) and the last ones rare (one article in 200), as in a real helpdesk.
:data:`RARE` words are made from syllables, deterministically, so the list is the same on every machine.

Example::

    VOCABULARY[:3]         # ('printer', 'password', 'email')
    search_terms(20)       # ['printer', 'vpn invoice', 'zorbekan', ...]: rotating terms for the benchmark
    needle_terms(tns, 9)   # ['2026120310000017', 'ziltobar', 'pritner', ...]: one ticket or none
"""

from __future__ import annotations

from itertools import product

from modules.tickets.search_text import tokens


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


COMMON = _split(
    """
printer password email login vpn laptop network invoice account error server update screen access mailbox
monitor keyboard install license backup refund order delivery shipment payment contract outlook calendar meeting
phone headset wifi router firewall certificate database report export import upload download browser website
portal timeout crash slow broken missing locked reset request urgent question problem issue customer supplier
warehouse stock price quote discount cancel renewal subscription trial upgrade migration release patch driver
battery charger docking scanner toner paper tray jam cable adapter port disk storage quota share folder permission
group admin profile settings configuration sync mobile tablet app notification alert ticket response deadline
invoiceing receipt credit debit transfer bank statement tax vat address shipping return exchange warranty repair
replacement damaged defect sample catalogue brochure training webinar onboarding offboarding badge desk office
parking visitor travel expense approval budget forecast project milestone
"""
)
MEDIUM = _split(
    """
kubernetes docker terraform ansible jenkins gitlab jira confluence sharepoint onedrive teams zoom webex slack
salesforce hubspot zendesk sap oracle postgres mysql redis kafka nginx apache tomcat windows linux macos android
ios chrome firefox safari edge thunderbird excel word powerpoint visio acrobat photoshop autocad matlab tableau
powerbi dropbox box citrix vmware hyperv azure aws gcp okta ldap kerberos radius saml oauth smtp imap pop3 dns
dhcp ntp snmp syslog ipsec wireguard openvpn fortinet cisco juniper aruba ubiquiti meraki lenovo dell hp canon
epson brother xerox ricoh kyocera logitech jabra plantronics samsung apple huawei
"""
)
_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "kr", "st", "tr")
_VOWELS = ("a", "e", "i", "o", "u")
_CODAS = ("", "n", "r", "x", "l", "s")


def _rare(count: int) -> tuple[str, ...]:
    """``count`` made-up words (product codes, place names): three syllables each, in a fixed order."""
    words: list[str] = []
    known = set(COMMON) | set(MEDIUM)
    syllables = [o + v for o, v in product(_ONSETS, _VOWELS)]
    for first, second, coda in product(syllables, syllables, _CODAS):
        word = first + second + coda
        if word not in known and len(word) >= 4:
            known.add(word)
            words.append(word)
    step = 7919  # spread the picks over the whole product, so rare words do not all start with "ba"
    return tuple(words[(i * step) % len(words)] for i in range(count))


RARE = _rare(4000)
VOCABULARY = COMMON + MEDIUM + RARE
"""Every word of subjects and bodies, most common first."""
SKEW = 1.6
"""The power of the rank draw: the first word is in about one article in seven, the last in one in 200."""

FIRST_NAMES = _split(
    """
Anna Ben Carla David Emma Felix Greta Hugo Ines Jonas Klara Lars Mia Noah Olga Paul Quinn Rosa Sven Tara Uwe Vera
Will Xenia Yusuf Zoe Adam Bella Chris Dora Emil Fiona Georg Hanna Ivan Julia Karl Lena Max Nina Oskar Petra Ralf
Sara Tom Ute Viktor Wanda
"""
)
LAST_NAMES = _split(
    """
Adler Bauer Conrad Dietrich Engel Fischer Graf Hoffmann Jansen Keller Lang Meyer Neumann Otto Peters Richter
Schmidt Thomas Ulrich Vogel Wagner Zimmermann Becker Schulz Koch Wolf Schroeder Klein Schwarz Braun Hartmann Krause
Werner Lehmann Walter Maier Koenig Huber Kaiser Fuchs Sommer Roth Beck Lorenz Baumann Franke Albrecht Simon Ludwig
"""
)
GROUPS = (
    "Support",
    "Sales",
    "Billing",
    "IT",
    "HR",
    "Facilities",
    "Logistics",
    "Procurement",
    "Legal",
    "Marketing",
    "Finance",
    "Engineering",
    "Quality",
    "Security",
    "Training",
    "Partners",
    "Returns",
    "Projects",
    "Field Service",
    "Management",
)
SUBQUEUES = ("Level 1", "Level 2", "Hardware", "Software", "Network", "Accounts", "Orders", "Complaints", "Archive")
CATEGORIES = ("hardware", "software", "network", "account", "billing", "order", "complaint", "other")


def search_terms(count: int) -> list[str]:
    """``count`` search texts rotating over common, medium and rare words, one and two words each."""
    picks: list[str] = []
    pools = (COMMON[:60], MEDIUM, RARE[::37], COMMON[60:])
    for i in range(count):
        pool = pools[i % len(pools)]
        word = pool[(i * 13) % len(pool)]
        if i % 3 == 2:  # every third search has two words, the second from another pool
            other = pools[(i + 1) % len(pools)]
            word = f"{word} {other[(i * 7) % len(other)]}"
        picks.append(word)
    return picks


def needle_terms(ticket_numbers: list[str], count: int) -> list[str]:
    """``count`` searches for one ticket or none, as agents type them: a ticket number (from ``ticket_numbers``), a
    made-up word no document holds (nor begins any word of one: the search matches prefixes), a common word
    misspelt (two letters swapped).  PostgreSQL's statistics know none of them (only the most common lexemes), so
    they test what the planner's guess costs."""
    lists = (VOCABULARY, FIRST_NAMES, LAST_NAMES, GROUPS, SUBQUEUES, CATEGORIES)
    written = {token for listed in lists for word in listed for token in tokens(word)}
    begun = {token[:end] for token in written for end in range(1, len(token) + 1)}
    absent = [word for word in _rare(8000)[4000:] if word not in begun]
    misspelt = [word[:2] + word[3] + word[2] + word[4:] for word in COMMON if len(word) >= 6]
    misspelt = [word for word in misspelt if word not in begun]
    pools = (ticket_numbers, absent, misspelt)
    picks = []
    for i in range(count):
        pool = pools[i % len(pools)]
        picks.append(pool[(i * 13) % len(pool)])
    return picks
