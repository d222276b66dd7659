//! The peer check of a new connection (`SO_PEERCRED`): its uid is listed, or its primary
//! group or one of its supplementary groups (read from `/proc/PID/status`) is.

use tokio::net::unix::UCred;

/// Whether a peer with credentials `cred` may use a socket accepting `uids` and `gids`. Both
/// lists empty accept everyone; unknown credentials are refused otherwise.
pub(crate) fn allowed(uids: &[u32], gids: &[u32], cred: Option<&UCred>) -> bool {
    if uids.is_empty() && gids.is_empty() {
        return true;
    }
    let Some(cred) = cred else {
        return false;
    };
    if uids.contains(&cred.uid()) || gids.contains(&cred.gid()) {
        return true;
    }
    !gids.is_empty()
        && cred
            .pid()
            .and_then(supplementary_groups)
            .is_some_and(|groups| groups.iter().any(|g| gids.contains(g)))
}

/// The `Groups:` line of `/proc/PID/status`.
fn supplementary_groups(pid: i32) -> Option<Vec<u32>> {
    let status = fs_err::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("Groups:"))?;
    Some(line.split_whitespace().filter_map(|g| g.parse().ok()).collect())
}
