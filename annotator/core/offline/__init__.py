"""Offline sessions (DESIGN §5): check out a batch into one bundle file, work in it with no
network, check it back in. A bundle is an ordinary Annotator SQLite database holding one
project, one user, that user's claims and the media they need, and no gold answers, so the
app and every service work on it unchanged."""

from annotator.core.offline.bundle import BundleStatus, bundle_status, is_bundle, unpack_media
from annotator.core.offline.checkin import CheckinReport, checkin
from annotator.core.offline.checkout import CheckoutReport, checkout, revoke

__all__ = [
    "BundleStatus",
    "CheckinReport",
    "CheckoutReport",
    "bundle_status",
    "checkin",
    "checkout",
    "is_bundle",
    "revoke",
    "unpack_media",
]
