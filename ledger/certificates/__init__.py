"""Certificates of retirement (event or enterprise neutrality) and of cancellation (an
ecological-damage case), with a proof bundle that anyone verifies offline.

``claims`` computes every number a certificate states from the log records it rests on; the
same function runs when the certificate is made (``issue``, from a ledger database) and when
it is checked (``verify``, from the bundle alone with the trusted log key). ``html`` and
``pdf`` render the claims for people, with a QR code (``qr``) pointing at the verification.
"""
