"""The demo catalogue: who and what the demo set contains (agents, teams, customers, services, queues, texts).

Data only; ``demo.py`` turns it into rows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Agent:
    login: str
    first_name: str
    last_name: str
    permissions: dict[str, tuple[str, ...]]  # group -> OTRS permission keys granted directly

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Company:
    customer_id: str
    name: str
    domain: str
    street: str
    zip: str
    city: str
    country: str
    sla: str  # the SLA its tickets get where the service offers it


@dataclass(frozen=True)
class Customer:
    login: str  # also the e-mail address
    first_name: str
    last_name: str
    company: Company

    @property
    def address(self) -> str:
        return f'"{self.first_name} {self.last_name}" <{self.login}>'


@dataclass(frozen=True)
class Queue:
    name: str
    group: str
    comment: str
    weight: int  # share of the demo tickets
    topics: tuple[tuple[str, str | None, str], ...]  # (title, service, what the customer writes)


GROUPS = {
    "support": "Customer support, first and second level.",
    "billing": "Invoices, payments and refunds.",
    "it-ops": "Servers, network and accounts.",
}
FULL: tuple[str, ...] = ("rw",)
AGENTS = (
    Agent("sarah.miller", "Sarah", "Miller", {"support": FULL, "billing": FULL, "it-ops": ("ro",)}),
    Agent("tom.becker", "Tom", "Becker", {"support": FULL}),
    Agent("priya.nair", "Priya", "Nair", {"support": ("ro", "move_into", "create", "note", "owner", "priority")}),
    Agent("lena.fischer", "Lena", "Fischer", {"billing": FULL, "support": ("ro", "note")}),
    Agent("marco.rossi", "Marco", "Rossi", {"it-ops": FULL, "support": ("ro",)}),
    Agent("jin.park", "Jin", "Park", {"it-ops": FULL, "billing": ("ro",)}),
)
# role: (comment, group -> permission keys, members); every agent works the default queues through a role.
ROLES: dict[str, tuple[str, dict[str, tuple[str, ...]], tuple[str, ...]]] = {
    "Helpdesk Agent": ("Every agent: the default queues.", {"users": FULL}, tuple(a.login for a in AGENTS)),
    "Team Lead": (
        "Reads every team queue and the statistics.",
        {"support": ("ro",), "billing": ("ro",), "it-ops": ("ro",), "stats": ("ro",)},
        ("sarah.miller", "lena.fischer"),
    ),
}
COMPANIES = (
    Company("NORTHWIND", "Northwind Traders", "northwind.example", "12 Harbour Road", "98101", "Seattle",
            "United States", "Gold"),
    Company("CONTOSO", "Contoso Ltd", "contoso.example", "1 Market Street", "EC2A 1AB", "London", "United Kingdom",
            "Gold"),
    Company("FABRIKAM", "Fabrikam GmbH", "fabrikam.example", "Leopoldstraße 40", "80802", "München", "Germany",
            "Silver"),
    Company("TAILSPIN", "Tailspin Toys SARL", "tailspin.example", "8 Rue de la République", "69002", "Lyon",
            "France", "Silver"),
    Company("WINGTIP", "Wingtip Logistics BV", "wingtip.example", "Coolsingel 75", "3012 AC", "Rotterdam",
            "Netherlands", "Bronze"),
)  # fmt: skip
CUSTOMER_NAMES = (  # four per company, in order
    ("Emma", "Walker"), ("Liam", "Thompson"), ("Olivia", "Clarke"), ("Noah", "Patel"), ("Ava", "Schmidt"),
    ("Lucas", "Weber"), ("Mia", "Dubois"), ("Ethan", "Martin"), ("Sofia", "de Vries"), ("Mateo", "Jansen"),
    ("Chloe", "Garcia"), ("Jonas", "Kowalski"), ("Hannah", "Novak"), ("Leon", "Okafor"), ("Amelia", "Tanaka"),
    ("Oscar", "Lindqvist"), ("Isla", "Moreau"), ("Felix", "Brennan"), ("Zoe", "Costa"), ("Hugo", "Haas"),
)  # fmt: skip
SLAS = {"Gold": (60, 240, 480), "Silver": (240, 480, 1440), "Bronze": (480, 1440, 4320)}  # response, update, solution
SERVICES = {  # name ("Parent::Child"): SLAs offered
    "Customer Portal": ("Silver", "Bronze"),
    "Billing": ("Silver", "Bronze"),
    "Billing::Invoices": ("Silver", "Bronze"),
    "Billing::Refunds": ("Bronze",),
    "IT Services": ("Gold", "Silver"),
    "IT Services::Email": ("Gold", "Silver", "Bronze"),
    "IT Services::Network": ("Gold", "Silver", "Bronze"),
    "IT Services::Hardware": ("Gold", "Silver", "Bronze"),
    "IT Services::Hardware::Laptops": ("Gold", "Silver", "Bronze"),
}
DEFAULT_SERVICES = ("Customer Portal", "Billing", "Billing::Invoices", "Billing::Refunds")  # '<DEFAULT>': everyone's
QUEUES = (
    Queue("Support", "support", "First-level customer support.", 32, (
        ("Cannot log in to the customer portal", "Customer Portal",
         "since this morning the portal rejects my password, and the reset mail never arrives."),
        ("CSV export shows garbled characters", "Customer Portal",
         "when I export our order list to CSV, all accented characters come out garbled."),
        ("How do I add a colleague to our account?", "Customer Portal",
         "a new colleague joined our team. How can she see our company's tickets?"),
        ("Order notifications stopped arriving", "IT Services::Email",
         "we no longer receive the notification mails for new orders."),
        ("Copy of our service agreement", None, "could you send us a copy of our current service agreement?"),
    )),
    Queue("Support::Hardware", "support", "Second level: devices and repairs.", 16, (
        ("Laptop does not boot after update", "IT Services::Hardware::Laptops",
         "after last night's update my laptop shows a black screen and the fan runs at full speed."),
        ("Replacement docking station needed", "IT Services::Hardware",
         "the docking station at desk {desk} no longer charges the laptop."),
        ("Battery drains within two hours", "IT Services::Hardware::Laptops",
         "my laptop battery is empty after about two hours, even with the screen dimmed."),
        ("Printer on floor {floor} jams constantly", "IT Services::Hardware",
         "the printer jams on every second page. We already tried other paper."),
    )),
    Queue("Billing", "billing", "Invoices, payments and refunds.", 22, (
        ("Invoice {invoice} shows the wrong VAT rate", "Billing::Invoices",
         "invoice {invoice} was charged at the wrong VAT rate. Please send a corrected invoice."),
        ("Refund of duplicate payment", "Billing::Refunds",
         "we paid invoice {invoice} twice by mistake. Please refund the second payment."),
        ("Change of billing address", "Billing", "our accounting department has moved; please use the new address."),
        ("Payment reminder although paid", "Billing::Invoices",
         "we received a reminder for invoice {invoice}, but it was paid on time."),
        ("Invoices of last quarter as PDF", "Billing::Invoices", "our auditor needs last quarter's invoices as PDF."),
    )),
    Queue("IT Operations", "it-ops", "Servers, network and accounts.", 20, (
        ("VPN connection drops every few minutes", "IT Services::Network",
         "the VPN disconnects every few minutes since Monday, for the whole {city} office."),
        ("Mailbox almost full", "IT Services::Email", "my mailbox is at 98 percent. Can the quota be raised?"),
        ("Account for a new employee", "IT Services", "please create accounts for our new colleague by Monday."),
        ("Wi-Fi in meeting room {room} is very slow", "IT Services::Network",
         "video calls in meeting room {room} keep freezing."),
        ("Shared drive not reachable", "IT Services::Network", "the shared drive S: cannot be reached since noon."),
    )),
)  # fmt: skip
OTRS_QUEUES = (  # OTRS's own Raw and Misc (group "users") get a few stray mails; they exist already
    Queue("Raw", "users", "", 6, (("Question about your opening hours", None, "are you open on public holidays?"),
                                  ("Delivery status of order {order}", None, "when will order {order} arrive?"))),
    Queue("Misc", "users", "", 4, (("Thank you for the quick help", None, "just wanted to say thanks for last week!"),
                                   ("Partnership inquiry", None, "we would like to discuss a reseller partnership."))),
)  # fmt: skip
AGENT_REPLIES = (  # the first two acknowledge, the others report progress
    "thank you for your message. We are looking into it and will get back to you shortly.",
    "could you please send us a screenshot of the error and the time it occurred?",
    "we have fixed the problem on our side. Could you please check whether everything works now?",
    "I have passed this on to our specialists; you will hear from us within one business day.",
    "the change has been made. Please let us know if there is anything else we can do.",
)
CUSTOMER_FOLLOW_UPS = (  # the last one only on tickets that end "closed successful"
    "thanks, here is the additional information you asked for.",
    "any news on this? We are still waiting for a solution.",
    "great, that solved it. Thank you!",
)
NOTES = (
    "Called the customer, problem reproduced.",
    "Checked the logs: nothing unusual before the reported time.",
    "Waiting for the vendor's answer.",
    "Discussed with the team lead; we handle this with priority.",
)
PRIORITY_WEIGHTS = {"1 very low": 4, "2 low": 14, "3 normal": 56, "4 high": 19, "5 very high": 7}
OPEN_STATE_WEIGHTS = {"new": 25, "open": 45, "pending reminder": 22, "pending auto close+": 8}
# article kind: (sender type, channel, visible for the customer, history type)
ARTICLE_KINDS = {
    "email": ("customer", "Email", 1, "EmailCustomer"),
    "phone": ("customer", "Phone", 1, "PhoneCallCustomer"),
    "reply": ("agent", "Email", 1, "SendAnswer"),
    "follow_up": ("customer", "Email", 1, "FollowUp"),
    "note": ("agent", "Internal", 0, "AddNote"),
}

# -- the builder ----------------------------------------------------------------------------------------------------
