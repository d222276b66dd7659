//! debian/ generation (being written).
