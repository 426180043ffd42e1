"""One ``requests.Session`` per client, with what requests would otherwise read from the
environment on every call (proxy variables, CA bundle) read once.

By default requests looks at ``HTTP_PROXY``/``NO_PROXY``/``REQUESTS_CA_BUNDLE`` and the
netrc file on every request: about a third of the CPU of a small call to a service on the
same network. A client talks to one host, so the answer does not change between calls.
"""

import requests


def pinned_session(base_url: str) -> requests.Session:
    """A session for calls to ``base_url`` with the environment's proxies and CA bundle
    applied once (and not looked up again)."""
    session = requests.Session()
    environment = session.merge_environment_settings(base_url, {}, None, None, None)
    session.proxies.update(environment["proxies"])
    session.verify = environment["verify"]
    session.trust_env = False
    return session
