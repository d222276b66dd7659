//! pyros wire protocol (being written, issue 5).
