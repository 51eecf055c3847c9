"""Accounts, sessions and sign-in throttling of the web pages (shared with ``congvan users``).

    passwords  argon2id hashing and the password rules
    accounts   add, change password, reset, disable, list, authenticate
    sessions   server-side sessions: start (new token at every sign-in), resume, end
    throttle   failed sign-ins per login and per client address
    links      single-use, expiring reporter links for one report request

Services take the SQLAlchemy session as a keyword argument and only flush;
the caller's ``registry.db.transaction()`` commits.
"""
