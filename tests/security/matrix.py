"""The authorization matrix: for every named URL, who may get past its access check.

One entry per URL name (``namespace:name``), each a list of :class:`Probe`: the method,
the URL arguments (``@path`` reads the object from the test world, tests/security/world.py:
``@concluded.number`` is citizen A's concluded case at centre X) and the set of roles
that are *allowed*. Every other role must be *denied*: 401, 403 or 404, or, for an
anonymous visitor, a redirect to the login page. "Allowed" is anything else that shows the
request got past authorization: 200, a redirect to the next step, 400 on an empty body.

What the product promises (and this file encodes): a citizen sees only their own cases,
drafts, uploads and results; a window clerk only their centre's cases; a department
officer only their department's item cases; an administrator the management pages
(dashboard, audit log, every rectification) and the Django admin, but not the clerks'
console or the officers' workbench (those need a clerk or officer record).

A new URL without an entry here fails tests/security/test_authorization_matrix.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANONYMOUS = "anonymous"
CITIZEN_A, CITIZEN_B = "citizen_a", "citizen_b"
CLERK_X, CLERK_Y = "clerk_x", "clerk_y"
OFFICER_P, OFFICER_Q = "officer_p", "officer_q"
ADMIN = "admin"
ROLES = (ANONYMOUS, CITIZEN_A, CITIZEN_B, CLERK_X, CLERK_Y, OFFICER_P, OFFICER_Q, ADMIN)

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANONYMOUS}
NOBODY: frozenset[str] = frozenset()
OWNER = frozenset({CITIZEN_A})
APPLICANTS = frozenset({CITIZEN_A, CITIZEN_B})
CLERKS = frozenset({CLERK_X, CLERK_Y})
OFFICERS = frozenset({OFFICER_P, OFFICER_Q})
STAFF = CLERKS | OFFICERS | {ADMIN}

# A window session token: the test starts a real window intake for clerk X (tokens live in
# the clerk's session); for everyone else it is a token their session never had.
WINDOW_TOKEN = "<window-token>"


@dataclass(frozen=True)
class Probe:
    allowed: frozenset[str]
    method: str = "GET"
    kwargs: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)  # the query string; ``@path`` values as in kwargs
    content_type: str = ""  # "application/json": ``data`` is sent as a JSON body
    # Roles that may see citizen A's case numbers in the answer. For any other allowed
    # role the body must not contain them (a list scoped to the viewer). None: not checked.
    shows_a_to: frozenset[str] | None = None
    why: str = ""
    unavailable_ok: bool = False  # 503 is an answer too (e.g. no Celery worker in the tests)


def P(allowed, **kwargs) -> list[Probe]:
    return [Probe(frozenset(allowed), **kwargs)]


ANSWERS = {"birth_place": "local_hospital", "married": "true", "mother_insured": "true"}  # the notice's questions
# asking for another centre's or department's figures: the viewer's own scope wins
OTHER_SCOPE = {"centre": "@concluded.centre_id", "department": "@item_case.department_id"}
CASE = {"number": "@concluded.number"}
LIVE = {"number": "@live.number"}
SEES_A = OWNER | {CLERK_X, OFFICER_P, ADMIN}
NOTIFIED_OF_A = OWNER | {OFFICER_P}  # in-site messages: citizen A, and the officer responsible for a rectification

MATRIX: dict[str, list[Probe]] = {
    # --- operations ---------------------------------------------------------------------
    "healthz": P(EVERYONE, unavailable_ok=True, why="load balancer probe: ok/fail per check only; 503 without workers"),
    "metrics": P(NOBODY, why="Prometheus scrape: bearer METRICS_TOKEN only, never a session"),
    "api-schema": P(EVERYONE, why="the OpenAPI description is public"),
    "api-docs": P(EVERYONE),
    # --- public notice pages and their API ----------------------------------------------
    "notice:catalogue": P(EVERYONE),
    "notice:bundle": P(EVERYONE, kwargs={"code": "child-birth"}),
    "notice:notice": P(EVERYONE, kwargs={"code": "child-birth"}, query=ANSWERS),
    "notice:notice-pdf": P(EVERYONE, kwargs={"code": "child-birth"}, query=ANSWERS),
    "notice:elders": P(EVERYONE, method="POST", data={"elders": "on", "next": "/"}, why="a display preference"),
    "notice:accessibility": P(EVERYONE),
    "api-bundle-list": P(EVERYONE),
    "api-bundle-detail": P(EVERYONE, kwargs={"code": "child-birth"}),
    "api-notice": P(EVERYONE, kwargs={"code": "child-birth"}, query=ANSWERS),
    "api-merged-form": P(EVERYONE, kwargs={"code": "child-birth"}, query=ANSWERS, why="the empty form is public"),
    # --- accounts -----------------------------------------------------------------------
    "accounts:signup": P(EVERYONE),
    "accounts:signup-verify": P(EVERYONE, why="step 2 of sign-up; without a pending sign-up, back to step 1"),
    "accounts:login": P(EVERYONE),
    "accounts:logout": P(EVERYONE, method="POST"),
    "api-accounts-csrf": P(EVERYONE),
    "api-accounts-signup": P(EVERYONE, method="POST", why="400 on an empty body"),
    "api-accounts-signup-verify": P(EVERYONE, method="POST", why="400 on an empty body"),
    "api-accounts-login": P(EVERYONE, method="POST", why="400 on an empty body"),
    "api-accounts-logout": P(EVERYONE, method="POST"),
    "api-accounts-me": P(SIGNED_IN, why="one's own profile"),
    # --- 一表申请: the applicant's portal -------------------------------------------------
    "apply:start": P(APPLICANTS, kwargs={"code": "child-birth"}, why="citizens and enterprises; staff use the console"),
    "apply:my": P(SIGNED_IN, shows_a_to=OWNER, why="one's own drafts and cases (a clerk is sent to the console)"),
    "apply:draft": P(OWNER, kwargs={"draft_id": "@draft.pk"}, why="resumes: redirects to the step to carry on at"),
    "apply:draft-step": P(OWNER, kwargs={"draft_id": "@draft.pk", "step_key": "applicant"}, why="one step of the form"),
    "apply:draft-check": P(OWNER, kwargs={"draft_id": "@draft.pk"}, why="核对信息; POST submits"),
    "apply:draft-delete": P(OWNER, kwargs={"draft_id": "@draft.pk"}, why="the confirmation; POST deletes"),
    "apply:case": P(OWNER, kwargs=CASE),
    "apply:submitted": P(OWNER, kwargs=CASE, why="the confirmation after submission"),
    "apply:upload-download": P(
        {CITIZEN_A, CLERK_X, OFFICER_P, ADMIN},
        kwargs={"pk": "@upload.pk"},
        why="the owner; clerks of the case's centre; officers whose item case needs it; superusers",
    ),
    "api-drafts": P(APPLICANTS, shows_a_to=OWNER),
    "api-draft": P(OWNER, kwargs={"draft_id": "@draft.pk"}),
    "api-draft-materials": P(OWNER, method="POST", kwargs={"draft_id": "@draft.pk"}),
    "api-draft-submit": P(OWNER, method="POST", kwargs={"draft_id": "@draft.pk"}),
    "api-cases": P(SIGNED_IN, shows_a_to=OWNER, why="one's own cases: empty for staff"),
    "api-case": P(OWNER, kwargs=CASE),
    "api-upload-create": P(SIGNED_IN, method="POST", why="400 without a file; the upload belongs to the uploader"),
    # --- 站内信: one's own in-site messages ------------------------------------------------
    "notifications:messages": P(
        SIGNED_IN,
        shows_a_to=NOTIFIED_OF_A,
        why="one's own messages; staff see theirs (officer P was told of citizen A's bad rating)",
    ),
    "notifications:message": P(OWNER, kwargs={"pk": "@message.pk"}, why="opening marks it read"),
    "notifications:read-all": P(SIGNED_IN, method="POST", why="marks one's own messages only"),
    "api-messages": P(SIGNED_IN, shows_a_to=NOTIFIED_OF_A),
    "api-messages-unread-count": P(SIGNED_IN),
    "api-message-read": P(OWNER, method="POST", kwargs={"pk": "@message.pk"}),
    "api-messages-read-all": P(SIGNED_IN, method="POST", why="marks one's own messages only"),
    # --- 自助终端: the self-service terminals --------------------------------------------
    "kiosk:home": P(EVERYONE, why="the attract screen: the bundles, identification"),
    "kiosk:identify": P(EVERYONE, why="the card read; a POST logs the card's citizen in (tests/kiosk)"),
    "kiosk:bundle": P(EVERYONE, kwargs={"code": "child-birth"}),
    "kiosk:notice": P(EVERYONE, kwargs={"code": "child-birth"}, query=ANSWERS),
    "kiosk:my": P(NOBODY, why="a terminal session only (a card read): a site login is sent to 刷身份证"),
    "kiosk:case": P(NOBODY, kwargs=CASE, why="a terminal session only, and one's own case (tests/kiosk)"),
    "kiosk:keepalive": P(EVERYONE, method="POST", why="counts activity of one's own terminal session, if any"),
    "kiosk:exit": P(EVERYONE, method="POST", why="ends one's own session"),
    # --- 统一发证: results and handover ---------------------------------------------------
    "issuance:notice": P(OWNER, kwargs=CASE),
    "issuance:zip": P(OWNER, kwargs=CASE),
    "issuance:licence": P(OWNER, kwargs={**CASE, "licence_id": "@licence.pk"}),
    "issuance:delivery": P(OWNER, method="POST", kwargs=CASE),
    "issuance:handover_find": P(CLERKS),
    "issuance:handover": P({CLERK_X}, kwargs=CASE, why="the case's centre hands the results over"),
    # --- 综合窗口: the clerks' console ---------------------------------------------------
    "intake:queue": P(CLERKS, shows_a_to=frozenset({CLERK_X}), why="the clerk's centre only"),
    "intake:mine": P(CLERKS, why="the clerk's own accepted cases"),
    "intake:case": P({CLERK_X}, kwargs=CASE),
    "intake:case-accept": P({CLERK_X}, method="POST", kwargs=CASE),
    "intake:case-return": P({CLERK_X}, method="POST", kwargs=CASE),
    "intake:case-refuse": P({CLERK_X}, method="POST", kwargs=CASE),
    "intake:case-reassign": P({CLERK_X}, method="POST", kwargs=CASE),
    "intake:check-supply": P({CLERK_X}, method="POST", kwargs={**LIVE, "check_id": "@deferred_check.pk"}),
    "intake:check-extend": P(
        {CLERK_X}, method="POST", kwargs={**LIVE, "check_id": "@deferred_check.pk"}, why="the owning centre decides"
    ),
    "intake:check-refuse-items": P(
        {CLERK_X}, method="POST", kwargs={**LIVE, "check_id": "@deferred_check.pk"}, why="the owning centre decides"
    ),
    "intake:window": P(CLERKS),
    "intake:window-bundle": P({CLERK_X}, kwargs={"token": WINDOW_TOKEN}, why="the window session is the clerk's"),
    "intake:window-form": P({CLERK_X}, kwargs={"token": WINDOW_TOKEN}),
    "intake:window-cancel": P(
        CLERKS, method="POST", kwargs={"token": WINDOW_TOKEN}, why="drops the token from one's own session only"
    ),
    "api-intake-queue": P(CLERKS, shows_a_to=frozenset({CLERK_X})),
    "api-intake-case": P({CLERK_X}, kwargs=CASE),
    "api-intake-accept": P({CLERK_X}, method="POST", kwargs=CASE),
    "api-intake-return": P({CLERK_X}, method="POST", kwargs=CASE),
    "api-intake-refuse": P({CLERK_X}, method="POST", kwargs=CASE),
    "api-intake-reassign": P({CLERK_X}, method="POST", kwargs=CASE),
    "documents:receipt": P({CITIZEN_A, CLERK_X}, kwargs=CASE),
    "documents:refusal": P({CITIZEN_A, CLERK_X}, kwargs={"number": "@refused.number"}),
    "documents:correction": P({CITIZEN_A, CLERK_X}, kwargs={"number": "@refused.number", "round": 1}),
    # --- 部门工作台: the officers' workbench ---------------------------------------------
    "api-processing-callback": P(
        NOBODY,
        method="POST",
        kwargs={"department": "public-security"},
        content_type="application/json",
        data={"event_id": "e-1", "idempotency_key": "k-1", "state": "approved"},
        why="department systems sign their callbacks (HMAC); a session is worth nothing here",
    ),
    "workbench:queue": P(OFFICERS, shows_a_to=frozenset({OFFICER_P}), why="the officer's department only"),
    "workbench:detail": P({OFFICER_P}, kwargs={"pk": "@item_case.pk"}),
    "workbench:start": P({OFFICER_P}, method="POST", kwargs={"pk": "@item_case.pk"}),
    "workbench:approve": P({OFFICER_P}, method="POST", kwargs={"pk": "@item_case.pk"}),
    "workbench:reject": P({OFFICER_P}, method="POST", kwargs={"pk": "@item_case.pk"}),
    "workbench:supplement": P({OFFICER_P}, method="POST", kwargs={"pk": "@item_case.pk"}),
    # --- 一体管理: ratings, rectifications, audit log, dashboard ---------------------------
    "oversight:rate": P(OWNER, method="POST", kwargs=CASE),
    "oversight:rectification-confirm": P(OWNER, method="POST", kwargs={"pk": "@rectification.pk"}),
    "oversight:rectification-reject": P(OWNER, method="POST", kwargs={"pk": "@rectification.pk"}),
    "oversight:rectifications": P(
        STAFF, shows_a_to=frozenset({OFFICER_P, ADMIN}), why="the department's, the centre's, or all (admin)"
    ),
    "oversight:rectification": P({OFFICER_P, ADMIN}, kwargs={"pk": "@rectification.pk"}),
    "oversight:rectification-contact": P(
        {OFFICER_P},
        method="POST",
        kwargs={"pk": "@rectification.pk"},
        why="only the responsible party handles it; the administrator watches",
    ),
    "oversight:rectification-respond": P({OFFICER_P}, method="POST", kwargs={"pk": "@rectification.pk"}),
    "oversight:audit": [
        Probe(STAFF, shows_a_to=SEES_A - OWNER, why="the department's, the centre's, or all (admin)"),
        Probe(STAFF, query={"case": "@concluded.number"}, shows_a_to=SEES_A - OWNER, why="searching for a case"),
    ],
    "oversight:audit-export": P(STAFF, shows_a_to=SEES_A - OWNER),
    "oversight:audit-event": P(SEES_A - OWNER, kwargs={"pk": "@audit_event.pk"}),
    "oversight:dashboard": P(STAFF, why="officers are sent on to the item panels"),
    "oversight:dashboard-items": P(STAFF),
    "oversight:dashboard-attention": [
        Probe(STAFF, shows_a_to=SEES_A - OWNER),
        Probe(STAFF, query=OTHER_SCOPE, shows_a_to=SEES_A - OWNER, why="filters cannot widen one's scope"),
    ],
    "oversight:dashboard-ratings": P(STAFF),
    "oversight:dashboard-export": [
        Probe(
            CLERKS | {ADMIN},
            kwargs={"table": "quality"},
            why="case-level tables: officers see only their department's item cases",
        ),
        Probe(STAFF, kwargs={"table": "attention_oldest"}, shows_a_to=SEES_A - OWNER),
        Probe(STAFF, kwargs={"table": "attention_oldest"}, query=OTHER_SCOPE, shows_a_to=SEES_A - OWNER),
    ],
}


# --- the table in docs/security.md ------------------------------------------------------------

SHORT = {
    ANONYMOUS: "anon",
    CITIZEN_A: "cit A",
    CITIZEN_B: "cit B",
    CLERK_X: "clerk X",
    CLERK_Y: "clerk Y",
    OFFICER_P: "off P",
    OFFICER_Q: "off Q",
    ADMIN: "admin",
}


def markdown_table() -> str:
    """The matrix as the Markdown table of docs/security.md (✓ allowed, · refused).
    Regenerate with ``python -m tests.security.matrix`` after changing MATRIX."""
    lines = [
        "| URL name | method | " + " | ".join(SHORT[r] for r in ROLES) + " |",
        "|---|---|" + "---|" * len(ROLES),
    ]
    for name, probes in MATRIX.items():
        for probe in probes:
            label = name + "".join(f" ({v})" for v in probe.kwargs.values() if not str(v).startswith("@"))
            label += f" ?{'&'.join(sorted(probe.query))}" if probe.query and probe.query != ANSWERS else ""
            marks = " | ".join("✓" if role in probe.allowed else "·" for role in ROLES)
            lines.append(f"| `{label}` | {probe.method} | {marks} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
