"""Where evidence and seminar materials are kept: bytes by content hash, behind one interface."""
