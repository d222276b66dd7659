//! The Python oracle (`oracle.py`, run once per test process with /usr/bin/python3) and the
//! Debian message packages it needs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use bridge_rosmsg::Registry;
use serde_json::Value;

/// The message packages checked against genpy.
pub(crate) const PACKAGES: [&str; 4] = ["std_msgs", "std_srvs", "geometry_msgs", "sensor_msgs"];

/// Fails with the fix when the Debian packages are missing (CI installs them).
pub(crate) fn require_packages() {
    for package in PACKAGES {
        let dir = Path::new("/usr/share").join(package);
        assert!(
            dir.is_dir(),
            "{} is missing: these tests need Debian's ROS message packages; run `cargo xtask ci` \
             as root, or `apt-get install ros-std-msgs python3-std-msgs ros-std-srvs \
             python3-std-srvs ros-geometry-msgs python3-geometry-msgs ros-sensor-msgs \
             python3-sensor-msgs ros-core`",
            dir.display()
        );
    }
}

/// A registry over Debian's `/usr/share` only.
pub(crate) fn registry() -> Registry {
    require_packages();
    Registry::new(vec![PathBuf::from("/usr/share")])
}

/// The oracle's JSON document: `msgs`, `srvs`, `samples`.
pub(crate) fn oracle() -> &'static Value {
    static ORACLE: OnceLock<Value> = OnceLock::new();
    ORACLE.get_or_init(|| {
        require_packages();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/oracle.py");
        let output = Command::new("/usr/bin/python3")
            .arg(&script)
            .arg(PACKAGES.join(","))
            .current_dir(std::env::temp_dir())
            .output()
            .expect("running /usr/bin/python3 (Debian's python3)");
        assert!(
            output.status.success(),
            "oracle.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("oracle.py prints JSON")
    })
}
