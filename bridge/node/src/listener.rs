//! The sockets of a configuration file's profiles: bound with their mode and group, then
//! served by one `server::run` each, all on one backend, until one shutdown.

use std::future::Future;
use std::io;
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::UnixListener;
use tokio::sync::watch;

use crate::backend::Backend;
use crate::config::Profile;
use crate::server::{self, Config};

/// Why a profile's socket could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("profile `{profile}`: {what} `{}`", path.display())]
pub struct BindError {
    pub profile: String,
    pub what: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Binds the socket of `profile`: a stale socket file (nobody listening) is replaced, a live
/// one is an error; then the file gets the profile's group and mode.
pub fn bind(profile: &Profile) -> Result<UnixListener, BindError> {
    let fail = |what, source| BindError {
        profile: profile.name.clone(),
        what,
        path: profile.socket.clone(),
        source,
    };
    if let Ok(metadata) = fs_err::symlink_metadata(&profile.socket) {
        if !metadata.file_type().is_socket() {
            let taken = io::Error::new(io::ErrorKind::AlreadyExists, "not a socket");
            return Err(fail("refusing to replace", taken));
        }
        if std::os::unix::net::UnixStream::connect(&profile.socket).is_ok() {
            let busy = io::Error::new(io::ErrorKind::AddrInUse, "another process listens on it");
            return Err(fail("socket in use", busy));
        }
        fs_err::remove_file(&profile.socket).map_err(|e| fail("removing the stale socket", e))?;
    }
    let listener = UnixListener::bind(&profile.socket).map_err(|e| fail("binding", e))?;
    if let Some(gid) = profile.group {
        std::os::unix::fs::chown(&profile.socket, None, Some(gid))
            .map_err(|e| fail("setting the group of", e))?;
    }
    if let Some(mode) = profile.mode {
        fs_err::set_permissions(&profile.socket, std::fs::Permissions::from_mode(mode))
            .map_err(|e| fail("setting the mode of", e))?;
    }
    tracing::info!(profile = profile.name, socket = %profile.socket.display(), "listening");
    Ok(listener)
}

/// Serves every `(listener, config)` pair on `backend` until `shutdown` completes.
pub async fn run_all(
    listeners: Vec<(UnixListener, Config)>,
    backend: Arc<dyn Backend>,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut servers = tokio::task::JoinSet::new();
    for (listener, config) in listeners {
        let mut stop = stop_rx.clone();
        servers.spawn(server::run(listener, config, backend.clone(), async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        }));
    }
    shutdown.await;
    let _ = stop_tx.send(true);
    while servers.join_next().await.is_some() {}
}
