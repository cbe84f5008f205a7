"""Privacy and access control: owner-only files, CURVE keys, who may bind and view.

docs/security.md has the threat model this package implements.
"""
