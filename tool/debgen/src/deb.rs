//! .deb archives (being written).
