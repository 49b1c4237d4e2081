"""Sign-in for GoatKit applications: realms, JWT access and refresh tokens, sessions, CSRF, throttling, LDAP.

The application describes its realms (:class:`goatkit.auth.realm.Realm`) and calls
:func:`goatkit.auth.setup.init_auth`; views and middleware read the signed-in identity with
:func:`goatkit.auth.identity.current_identity`.  This package file imports nothing on purpose: ``goatkit.passwords``
uses ``goatkit.auth.legacy_hashes`` and must not pull in Flask views.
"""
