"""A realistic demo set, so that a fresh installation does not open on empty screens.

Adds agents with groups and roles, customer companies and users, services with SLAs, four team queues and about two
hundred tickets from the last sixty days, each with its articles and OTRS-style history.  The same ``rng_seed`` and
``now`` give the same rows.  It runs once: a ``system_data`` row marks a seeded database.

Example::

    with engine.begin() as conn:
        report = seed_demo(conn)   # {"seeded": True, "agents": [...], "password": "...", "tickets": 200, ...}
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from goatkit.passwords import generate_password, hash_password
from modules.db.schema import metadata
from modules.db.seed.demo_catalogue import (
    AGENT_REPLIES,
    AGENTS,
    ARTICLE_KINDS,
    COMPANIES,
    CUSTOMER_FOLLOW_UPS,
    CUSTOMER_NAMES,
    DEFAULT_SERVICES,
    FULL,
    GROUPS,
    NOTES,
    OPEN_STATE_WEIGHTS,
    OTRS_QUEUES,
    PRIORITY_WEIGHTS,
    QUEUES,
    ROLES,
    SERVICES,
    SLAS,
    Agent,
    Customer,
)
from modules.db.seed.initial import SeedError, index_marks, index_since, insert_rows, reset_id_sequences
from modules.db.seed.initial import now as local_now
from modules.tickets import escalation
from modules.tickets.numbers import date_checksum_number

MARKER_KEY = "gotrs.demo_seeded"
TICKET_COUNT = 200
HISTORY_DAYS = 60
ADMIN_ID = 1  # root@localhost, also OTRS's PostmasterUserID: mail-created tickets start with it as owner

# Parents before children, so no foreign-key check has to be deferred.
INSERT_ORDER = (
    "permission_groups", "users", "group_user", "roles", "role_user", "group_role", "customer_company",
    "customer_user", "service", "sla", "service_sla", "service_customer_user", "queue", "queue_standard_template",
    "dynamic_field", "ticket", "article", "article_data_mime", "ticket_history", "dynamic_field_value", "system_data",
)  # fmt: skip
#: Demo dynamic fields (name, type, label, configuration): shown on the screens, so ``make run`` shows them.
_EVERYWHERE = {"AgentTicketPhone": "1", "AgentTicketEmail": "1", "AgentTicketZoom": "1", "AgentTicketFreeText": "1",
               "AgentTicketSearch": "1"}  # fmt: skip
DEMO_FIELDS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("Category", "Dropdown", "Category", {
        "DefaultValue": "", "Link": "", "LinkPreview": "", "PossibleNone": "1", "TranslatableValues": "0",
        "TreeView": "0", "PossibleValues": {"hardware": "Hardware", "software": "Software", "network": "Network",
                                            "access": "Access and accounts"},
        "Screens": {**_EVERYWHERE, "OverviewSmall": "1", "AgentTicketClose": "1"}}),
    ("AssetTag", "Text", "Asset tag", {
        "DefaultValue": "", "Link": "", "LinkPreview": "", "Screens": {**_EVERYWHERE, "OverviewSmall": "1"},
        "RegExList": [{"Value": "^[A-Z]{2}-[0-9]{4}$", "ErrorMessage": "An asset tag looks like NB-1234."}]}),
    ("OnSiteVisit", "Checkbox", "On-site visit needed", {
        "DefaultValue": "0", "Screens": {**_EVERYWHERE, "AgentTicketClose": "1"}}),
)  # fmt: skip


def seed_demo(
    conn: Connection, *, rng_seed: int = 42, now: datetime | None = None, password: str | None = None
) -> dict[str, Any]:
    """Add the demo set once; return what was added, or ``{"seeded": False}`` when it is already there.

    The demo agents and customer users share one password: ``password``, or a random one returned in the report.
    Needs the OTRS initial data (``insert_initial_data``); runs in ``conn``'s transaction, the caller commits.
    """
    system_data = metadata.tables["system_data"]
    marker = select(system_data.c.data_key).where(system_data.c.data_key == MARKER_KEY)
    if conn.execute(marker).first() is not None:
        return {"seeded": False}
    password = password or generate_password(12)
    rng = random.Random(rng_seed)  # noqa: S311 - reproducible sample data, not secrets
    demo = _DemoSet(conn, rng, (now or local_now()).replace(microsecond=0))
    report = demo.build(hash_password(password))  # one hash for all demo accounts: argon2 is slow on purpose
    demo.add("system_data", {"data_key": MARKER_KEY, "data_value": json.dumps(report).encode()})
    before = index_marks(conn)
    demo.write()
    index_since(conn, before)  # the demo tickets are searchable at once
    ticket = metadata.tables["ticket"]  # and their SLA escalation times are current
    escalation.rebuild(conn, conn.execute(select(ticket.c.id).where(ticket.c.id > before[0])).scalars().all())
    return {"seeded": True, **report, "password": password}


class _DemoSet:
    """Builds every demo row in memory (assigning ids), then writes each table with one executemany."""

    def __init__(self, conn: Connection, rng: random.Random, now: datetime) -> None:
        self.conn, self.rng, self.now = conn, rng, now
        self.ids = _Lookups(conn)
        self._ensure_fresh()
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in INSERT_ORDER}
        self.next_id = {name: self._max_id(name) + 1 for name in INSERT_ORDER if "id" in metadata.tables[name].c}
        self.user_ids = {agent.login: self.new_id("users") for agent in AGENTS}
        self.group_ids = {
            **self.ids.names("permission_groups"),
            **{g: self.new_id("permission_groups") for g in GROUPS},
        }
        self.queue_ids = {**self.ids.names("queue"), **{queue.name: self.new_id("queue") for queue in QUEUES}}
        self.sla_ids = {name: self.new_id("sla") for name in SLAS}
        self.service_ids = {name: self.new_id("service") for name in SERVICES}
        self.customers = [
            Customer(f"{first}.{last.replace(' ', '')}@{company.domain}".lower(), first, last, company)
            for index, company in enumerate(COMPANIES)
            for first, last in CUSTOMER_NAMES[index * 4 : index * 4 + 4]
        ]

    def build(self, password_hash: str) -> dict[str, Any]:
        self._agents(password_hash)
        self._customers(password_hash)
        self._services()
        self._queues()
        tickets, articles = _Tickets(self).build()
        self._dynamic_fields()
        return {
            "agents": [agent.login for agent in AGENTS],
            "customers": len(self.customers),
            "companies": len(COMPANIES),
            "queues": [queue.name for queue in QUEUES],
            "services": len(SERVICES),
            "tickets": tickets,
            "articles": articles,
        }

    def add(self, table: str, row: dict[str, Any], at: datetime | None = None, by: int = ADMIN_ID) -> None:
        """Queue one row; the audit columns and ``valid_id`` the table has default to now, ``by`` and valid."""
        at = at or self.now
        defaults = {"valid_id": self.ids.valid, "create_time": at, "create_by": by, "change_time": at, "change_by": by}
        columns = metadata.tables[table].c
        self.rows[table].append({**{key: value for key, value in defaults.items() if key in columns}, **row})

    def new_id(self, table: str) -> int:
        self.next_id[table] += 1
        return self.next_id[table] - 1

    def write(self) -> None:
        written = [metadata.tables[name] for name in INSERT_ORDER if self.rows[name]]
        for table in written:
            insert_rows(self.conn, table, self.rows[table.name])
        reset_id_sequences(self.conn, written)

    def _agents(self, password_hash: str) -> None:
        for agent in AGENTS:
            self.add("users", {"id": self.user_ids[agent.login], "login": agent.login, "pw": password_hash,
                               "first_name": agent.first_name, "last_name": agent.last_name})  # fmt: skip
        for name, comment in GROUPS.items():
            self.add("permission_groups", {"id": self.group_ids[name], "name": name, "comments": comment})
        grants = [(ADMIN_ID, group, FULL) for group in GROUPS]  # the admin sees the demo queues too
        grants += [(self.user_ids[a.login], group, keys) for a in AGENTS for group, keys in a.permissions.items()]
        for user_id, group, keys in grants:
            for key in keys:
                self.add("group_user", {"user_id": user_id, "group_id": self.group_ids[group], "permission_key": key})
        for role, (comment, permissions, members) in ROLES.items():
            role_id = self.new_id("roles")
            self.add("roles", {"id": role_id, "name": role, "comments": comment})
            for login in members:
                self.add("role_user", {"user_id": self.user_ids[login], "role_id": role_id})
            for group, keys in permissions.items():
                for key in keys:
                    self.add("group_role", {"role_id": role_id, "group_id": self.group_ids[group],
                                            "permission_key": key, "permission_value": 1})  # fmt: skip

    def _customers(self, password_hash: str) -> None:
        for company in COMPANIES:
            self.add("customer_company", {"customer_id": company.customer_id, "name": company.name,
                                          "street": company.street, "zip": company.zip, "city": company.city,
                                          "country": company.country,
                                          "url": f"https://www.{company.domain}/"})  # fmt: skip
        for customer in self.customers:
            company, rng = customer.company, self.rng
            phone = f"+{rng.randint(10, 49)} {rng.randint(100, 999)} {rng.randint(100000, 999999)}"
            self.add("customer_user", {"login": customer.login, "email": customer.login, "pw": password_hash,
                                       "customer_id": company.customer_id, "first_name": customer.first_name,
                                       "last_name": customer.last_name, "phone": phone, "city": company.city,
                                       "country": company.country})  # fmt: skip

    def _services(self) -> None:
        for name, (response, update, solution) in SLAS.items():
            self.add("sla", {"id": self.sla_ids[name], "name": name, "comments": f"{name} support level.",
                             "first_response_time": response, "first_response_notify": 80, "update_time": update,
                             "update_notify": 80, "solution_time": solution, "solution_notify": 80})  # fmt: skip
        for name, slas in SERVICES.items():
            self.add("service", {"id": self.service_ids[name], "name": name})
            for sla in slas:
                self.add("service_sla", {"service_id": self.service_ids[name], "sla_id": self.sla_ids[sla]})
        grants = [("<DEFAULT>", name) for name in DEFAULT_SERVICES]
        grants += [(c.login, name) for c in self.customers for name in SERVICES if name.startswith("IT Services")]
        for login, name in grants:
            self.add("service_customer_user", {"customer_user_login": login, "service_id": self.service_ids[name]})

    def _queues(self) -> None:
        template = self.ids.lookup("standard_template", "empty answer")
        for queue in QUEUES:
            queue_id = self.queue_ids[queue.name]
            self.add("queue", {"id": queue_id, "name": queue.name, "group_id": self.group_ids[queue.group],
                               "comments": queue.comment, "unlock_timeout": 0, "follow_up_lock": 0,
                               "system_address_id": self.ids.system_address[0],
                               "salutation_id": self.ids.first("salutation"),
                               "signature_id": self.ids.first("signature"),
                               "follow_up_id": self.ids.lookup("follow_up_possible", "possible")})  # fmt: skip
            self.add("queue_standard_template", {"queue_id": queue_id, "standard_template_id": template})

    def _dynamic_fields(self) -> None:
        """The demo fields (those not already defined) and values for some of the tickets: a separate random
        sequence, so the tickets stay what they were."""
        from modules.admin.dynamic_fields import to_yaml

        taken = set(self.ids.names("dynamic_field"))
        rng = random.Random(len(self.rows["ticket"]))  # noqa: S311 - reproducible sample data
        for order, (name, field_type, label, config) in enumerate(DEMO_FIELDS, start=1):
            if name in taken:
                continue
            field_id = self.new_id("dynamic_field")
            self.add("dynamic_field", {"id": field_id, "internal_field": 0, "name": name, "label": label,
                                       "field_order": 100 + order, "field_type": field_type, "object_type": "Ticket",
                                       "config": to_yaml(config).encode()})  # fmt: skip
            for ticket in self.rows["ticket"]:
                if rng.random() > 0.6:
                    continue
                value: dict[str, Any]
                if field_type == "Dropdown":
                    value = {"value_text": rng.choice(list(config["PossibleValues"]))}
                elif field_type == "Text":
                    value = {"value_text": f"{rng.choice(['NB', 'PC', 'PR', 'PH'])}-{rng.randint(1000, 9999)}"}
                else:
                    value = {"value_int": int(rng.random() < 0.3)}
                self.rows["dynamic_field_value"].append({"field_id": field_id, "object_id": ticket["id"], **value})

    def _max_id(self, table: str) -> int:
        column = metadata.tables[table].c.id
        return int(self.conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one())

    def _ensure_fresh(self) -> None:
        demo_names = {
            ("permission_groups", "name"): list(GROUPS),
            ("users", "login"): [agent.login for agent in AGENTS],
            ("queue", "name"): [queue.name for queue in QUEUES],
            ("service", "name"): list(SERVICES),
            ("customer_company", "customer_id"): [company.customer_id for company in COMPANIES],
        }
        for (table, column_name), values in demo_names.items():
            column = metadata.tables[table].c[column_name]
            taken = self.conn.execute(select(column).where(column.in_(values)).limit(1)).scalar()
            if taken is not None:
                raise SeedError(
                    f"The demo set cannot be added: {table} {taken!r} already exists. Demo data is meant for a "
                    "fresh database."
                )


class _Lookups:
    """Ids of OTRS's initial rows by name: OTRS fixes them, but an imported database may number them differently."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._names: dict[str, dict[str, int]] = {}
        if not self.names("valid"):
            raise SeedError("The OTRS initial data is missing: run `gotrs db init` before adding demo data.")
        self.valid = self.lookup("valid", "valid")
        self.ticket_type = self.lookup("ticket_type", "Unclassified")
        address = metadata.tables["system_address"]
        row = conn.execute(select(address.c.id, address.c.value0, address.c.value1).order_by(address.c.id)).first()
        if row is None:
            raise SeedError("The OTRS initial data has no system address: run `gotrs db init` on an empty database.")
        self.system_address: tuple[int, str, str] = (row.id, row.value0, row.value1)

    def names(self, table: str) -> dict[str, int]:
        if table not in self._names:
            columns = metadata.tables[table].c
            self._names[table] = {name: id_ for name, id_ in self.conn.execute(select(columns.name, columns.id))}
        return self._names[table]

    def lookup(self, table: str, name: str) -> int:
        try:
            return self.names(table)[name]
        except KeyError:
            raise SeedError(f"The OTRS initial data lacks {table} {name!r}; the demo set needs it.") from None

    def first(self, table: str) -> int:
        return min(self.names(table).values())


@dataclass(frozen=True)
class _Plan:
    """The random choices for one ticket, made before the tickets are numbered in creation order."""

    created: datetime
    queue: str
    title: str
    service: str | None
    message: str
    customer: Customer
    priority: str
    final_state: str
    by_phone: bool
    agent: Agent


class _Tickets:
    """Plans the tickets, numbers them in creation order (DateChecksum, counter per day) and tells each story."""

    def __init__(self, demo: _DemoSet) -> None:
        self.demo, self.rng = demo, demo.rng
        ticket = metadata.tables["ticket"]
        since = demo.now - timedelta(days=HISTORY_DAYS + 1)
        self.taken = set(demo.conn.execute(select(ticket.c.tn).where(ticket.c.create_time >= since)).scalars())
        self.counters: dict[date, int] = {}
        self.articles = 0

    def build(self) -> tuple[int, int]:
        plans = sorted((self._plan() for _ in range(TICKET_COUNT)), key=lambda plan: plan.created)
        for plan in plans:
            _Story(self, plan).tell()
        return len(plans), self.articles

    def number(self, created: datetime) -> str:
        """The next unused number of the ticket's creation day (date-based counters restart daily, as in OTRS)."""
        day = created.date()
        while True:
            self.counters[day] = self.counters.get(day, 0) + 1
            tn = date_checksum_number(day, self.counters[day])
            if tn not in self.taken:
                self.taken.add(tn)
                return tn

    def _plan(self) -> _Plan:
        rng, queues = self.rng, QUEUES + OTRS_QUEUES
        queue = rng.choices(queues, weights=[queue.weight for queue in queues])[0]
        title, service, message = rng.choice(queue.topics)
        age = timedelta(seconds=rng.uniform(1800, HISTORY_DAYS * 86400))
        created = (self.demo.now - age).replace(microsecond=0)
        customer = rng.choice(self.demo.customers)
        values = {"invoice": f"INV-{created:%Y}-{rng.randint(1000, 9999)}", "order": f"SO-{rng.randint(10**5, 10**6)}",
                  "desk": rng.randint(2, 40), "floor": rng.randint(1, 6), "room": rng.choice("ABCDE"),
                  "city": customer.company.city}  # fmt: skip
        agents = [
            a for a in AGENTS if queue.group == "users" or {"rw", "owner"} & set(a.permissions.get(queue.group, ()))
        ]
        if rng.random() < 0.2 + 0.6 * (age / timedelta(days=HISTORY_DAYS)):  # older tickets are mostly closed
            final_state = "closed successful" if rng.random() < 0.82 else "closed unsuccessful"
        else:
            final_state = rng.choices(list(OPEN_STATE_WEIGHTS), weights=list(OPEN_STATE_WEIGHTS.values()))[0]
        priority = rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))[0]
        return _Plan(created, queue.name, title.format(**values), service, message.format(**values), customer,
                     priority, final_state, rng.random() < 0.25, rng.choice(agents))  # fmt: skip


@dataclass
class _Story:
    """One ticket's life: created by mail or phone, taken by an agent, answered, then left open, pending or closed."""

    tickets: _Tickets
    plan: _Plan
    state: str = "new"
    lock: str = "unlock"
    owner: int = ADMIN_ID
    timeout: int = 0
    until: int = 0
    replies: int = 0
    message_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.demo, self.rng = self.tickets.demo, self.tickets.rng
        self.ids = self.demo.ids
        self.ticket_id = self.demo.new_id("ticket")
        self.tn = self.tickets.number(self.plan.created)
        self.agent_id = self.demo.user_ids[self.plan.agent.login]
        self.creator = self.agent_id if self.plan.by_phone else ADMIN_ID  # phone tickets are typed in by the agent
        self.last: tuple[datetime, int] = (self.plan.created, self.creator)

    def tell(self) -> None:
        plan = self.plan
        self.owner = self.creator
        self._create()
        span = (self.demo.now - plan.created) * self.rng.uniform(0.3, 0.9)
        if plan.final_state == "new":  # nobody has looked at it yet; the customer may have chased it
            if self.rng.random() < 0.25:
                self._article("follow_up", (plan.created + span).replace(microsecond=0), ADMIN_ID)
        else:
            steps = [self._step_kind(index) for index in range(self.rng.randint(1, 4))]
            times = sorted(
                (plan.created + span * self.rng.random()).replace(microsecond=0) for _ in range(len(steps) + 1)
            )
            self._take(times[0])
            for kind, at in zip(steps, times, strict=False):
                self._article(kind, at, ADMIN_ID if kind == "follow_up" else self.agent_id)
            self._finish(times[-1])
        self._ticket_row()

    def _step_kind(self, index: int) -> str:
        if index % 2:
            return "follow_up"
        return "note" if self.rng.random() < 0.25 else "reply"

    def _create(self) -> None:
        plan, at, by = self.plan, self.plan.created, self.creator
        self._history("NewTicket", f"%%{self.tn}%%{plan.queue}%%{plan.priority}%%new%%{self.ticket_id}", at, by)
        customer = f"%%CustomerID={plan.customer.company.customer_id};CustomerUser={plan.customer.login};"
        self._history("CustomerUpdate", customer, at, by)
        if plan.service:
            service_id, sla = self.demo.service_ids[plan.service], self._sla()
            self._history("ServiceUpdate", f"%%{plan.service}%%{service_id}%%NULL%%", at, by)
            self._history("SLAUpdate", f"%%{sla}%%{self.demo.sla_ids[sla]}%%NULL%%", at, by)
        self._article("phone" if plan.by_phone else "email", at, by)

    def _take(self, at: datetime) -> None:
        self.lock, self.timeout = "lock", int(at.timestamp())
        self._history("Lock", "%%lock", at, self.agent_id)
        if self.owner != self.agent_id:
            self.owner = self.agent_id
            self._history("OwnerUpdate", f"%%{self.plan.agent.login}%%{self.agent_id}", at, self.agent_id)
        self._set_state("open", at)

    def _finish(self, at: datetime) -> None:
        final = self.plan.final_state
        self._set_state(final, at)
        if final.startswith("pending"):
            until = at + timedelta(hours=self.rng.uniform(2, 120))
            if final != "pending reminder":  # an auto-close time in the past would have been acted on already
                until = max(until, self.demo.now + timedelta(hours=self.rng.uniform(1, 72)))
            self.until = int(until.timestamp())
            self._history("SetPendingTime", f"%%{until:%Y-%m-%d %H:%M}", at, self.agent_id)
        if final.startswith("closed") or (final == "open" and self.rng.random() < 0.3):
            self.lock = "unlock"
            self._history("Unlock", "%%unlock", at, self.agent_id)

    def _set_state(self, state: str, at: datetime) -> None:
        if state != self.state:
            old, self.state = self.state, state
            self._history("StateUpdate", f"%%{old}%%{state}%%", at, self.agent_id)

    def _sla(self) -> str:
        offered = SERVICES[self.plan.service or ""]
        return self.plan.customer.company.sla if self.plan.customer.company.sla in offered else offered[-1]

    def _history(self, kind: str, name: str, at: datetime, by: int, article_id: int | None = None) -> None:
        self.demo.add("ticket_history", {
            "name": name[:200], "history_type_id": self.ids.lookup("ticket_history_type", kind),
            "ticket_id": self.ticket_id, "article_id": article_id, "type_id": self.ids.ticket_type,
            "queue_id": self.demo.queue_ids[self.plan.queue], "owner_id": self.owner,
            "priority_id": self.ids.lookup("ticket_priority", self.plan.priority),
            "state_id": self.ids.lookup("ticket_state", self.state),
        }, at, by)  # fmt: skip
        self.last = (at, by)

    def _article(self, kind: str, at: datetime, by: int) -> None:
        sender, channel, visible, history = ARTICLE_KINDS[kind]
        article_id = self.demo.new_id("article")
        self.tickets.articles += 1
        self.demo.add("article", {"id": article_id, "ticket_id": self.ticket_id, "is_visible_for_customer": visible,
                                  "article_sender_type_id": self.ids.lookup("article_sender_type", sender),
                                  "communication_channel_id": self.ids.lookup("communication_channel", channel),
                                  "search_index_needs_rebuild": 1}, at, by)  # fmt: skip
        a_from, a_to, subject, body = self._mail(kind)
        message_id = in_reply_to = references = None
        if channel == "Email":
            domain = self.plan.customer.company.domain if sender == "customer" else "gotrs.localhost"
            message_id = f"<{at:%Y%m%d%H%M%S}.{self.rng.getrandbits(40):010x}@{domain}>"
            in_reply_to = self.message_ids[-1] if self.message_ids else None
            references = " ".join(self.message_ids[-5:]) or None
            self.message_ids.append(message_id)
        md5 = hashlib.md5(message_id.encode(), usedforsecurity=False).hexdigest() if message_id else None
        self.demo.add("article_data_mime", {
            "article_id": article_id, "a_from": a_from, "a_to": a_to, "a_subject": subject, "a_body": body,
            "a_message_id": message_id, "a_message_id_md5": md5, "a_in_reply_to": in_reply_to,
            "a_references": references, "a_content_type": "text/plain; charset=utf-8",
            "incoming_time": int(at.timestamp()), "content_path": f"{at:%Y/%m/%d}",
        }, at, by)  # fmt: skip
        comment = {"reply": f"%%{self.plan.customer.login}", "follow_up": f"%%{self.tn}%%", "note": "%%Note"}
        self._history(history, comment.get(kind, "%%"), at, by, article_id)

    def _mail(self, kind: str) -> tuple[str, str | None, str, str]:
        """From, To, Subject and plain-text body of an article, in the style OTRS writes them."""
        plan, customer, agent = self.plan, self.plan.customer, self.plan.agent
        _, address, system = self.ids.system_address
        support, subject = f'"{system}" <{address}>', f"Re: [Ticket#{self.tn}] {plan.title}"
        if kind == "email":
            signature = f"{customer.first_name} {customer.last_name}\n{customer.company.name}"
            return (
                customer.address,
                support,
                plan.title,
                f"Hello,\n\n{_sentence(plan.message)}\n\nBest regards,\n{signature}",
            )
        if kind == "phone":
            return (
                customer.address,
                plan.queue,
                plan.title,
                f"{customer.first_name} {customer.last_name} called: {plan.message}",
            )
        if kind == "reply":
            reply = self.rng.choice(AGENT_REPLIES[2:] if self.replies else AGENT_REPLIES[:2])
            self.replies += 1
            body = f"Dear {customer.first_name} {customer.last_name},\n\n{reply}\n\nYour Support Team\n{agent.name}"
            return f'"{agent.name} via {system}" <{address}>', customer.address, subject, body
        if kind == "follow_up":
            solved = plan.final_state == "closed successful"
            text = self.rng.choice(CUSTOMER_FOLLOW_UPS if solved else CUSTOMER_FOLLOW_UPS[:2])
            return customer.address, support, subject, f"Hello,\n\n{_sentence(text)}\n\n{customer.first_name}"
        return f'"{agent.name}" <{address}>', None, "Internal note", self.rng.choice(NOTES)

    def _ticket_row(self) -> None:
        plan, ids = self.plan, self.ids
        changed, changed_by = self.last
        self.demo.add("ticket", {
            "id": self.ticket_id, "tn": self.tn, "title": plan.title, "queue_id": self.demo.queue_ids[plan.queue],
            "ticket_lock_id": ids.lookup("ticket_lock_type", self.lock), "type_id": ids.ticket_type,
            "service_id": self.demo.service_ids[plan.service] if plan.service else None,
            "sla_id": self.demo.sla_ids[self._sla()] if plan.service else None,
            "user_id": self.owner, "responsible_user_id": self.owner,
            "ticket_priority_id": ids.lookup("ticket_priority", plan.priority),
            "ticket_state_id": ids.lookup("ticket_state", self.state),
            "customer_id": plan.customer.company.customer_id, "customer_user_id": plan.customer.login,
            "timeout": self.timeout, "until_time": self.until, "escalation_time": 0, "escalation_update_time": 0,
            "escalation_response_time": 0, "escalation_solution_time": 0, "archive_flag": 0,
            "change_time": changed, "change_by": changed_by,
        }, plan.created, self.creator)  # fmt: skip


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
