//! What a package is called in Debian and where it installs: bloom's `ros-<distro>-<name>` under
//! `/opt/ros/<distro>`, unless package.xml says otherwise with
//! `<export><rosdeb package="NAME" prefix="/usr"/></export>` (an application shipped the Debian
//! way, like the pyros bridge: `/usr/bin/pyros-bridge`, `/usr/lib/python3/dist-packages`).

use rospkg::Manifest;

use super::{GenerateError, ros_package_name};
use crate::deb822::{self, Place};

/// The export element rosdeb reads.
const EXPORT_TAG: &str = "rosdeb";

/// The Debian name and install prefix of one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The binary package name (`ros-noetic-foo`, `pyros-bridge`).
    pub package: String,
    /// The absolute install prefix (`/opt/ros/noetic`, `/usr`).
    pub prefix: String,
}

impl Layout {
    /// True when the prefix is bloom's `/opt/...` (Debian policy reserves /opt for add-ons,
    /// which lintian reports and the generated overrides explain).
    pub fn in_opt(&self) -> bool {
        self.prefix.starts_with("/opt/")
    }
}

/// The layout of `manifest` released into `distro`. The `<rosdeb>` export's `package` must be a
/// Debian package name and its `prefix` `/usr` or a clean absolute path under `/opt/`: both
/// reach file names and control fields.
pub fn layout(manifest: &Manifest, name: &str, distro: &str) -> Result<Layout, GenerateError> {
    let mut out =
        Layout { package: ros_package_name(distro, name), prefix: format!("/opt/ros/{distro}") };
    let Some(export) = manifest.exports.iter().find(|e| e.tag == EXPORT_TAG) else {
        return Ok(out);
    };
    let origin = format!(
        "{}:{}:{}: <export><{EXPORT_TAG}>",
        manifest.path.display(),
        export.position.line,
        export.position.column
    );
    if let Some(package) = export.attribute("package") {
        deb822::package_name(
            &Place::new("debian/control", "Package").from(origin.clone()),
            package,
        )?;
        package.clone_into(&mut out.package);
    }
    if let Some(prefix) = export.attribute("prefix") {
        if !is_prefix(prefix) {
            return Err(GenerateError::InvalidPrefix { origin, prefix: prefix.to_owned() });
        }
        prefix.clone_into(&mut out.prefix);
    }
    Ok(out)
}

/// `/usr`, or `/opt/` followed by segments of `a-z 0-9 . _ + -` (none `.` or `..`).
fn is_prefix(prefix: &str) -> bool {
    if prefix == "/usr" {
        return true;
    }
    let Some(rest) = prefix.strip_prefix("/opt/") else {
        return false;
    };
    rest.split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._+-".contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::is_prefix;

    #[test]
    fn prefixes_are_usr_or_clean_paths_under_opt() {
        for good in ["/usr", "/opt/ros/noetic", "/opt/pyros", "/opt/a.b/c-d"] {
            assert!(is_prefix(good), "{good}");
        }
        for bad in [
            "",
            "/",
            "usr",
            "/usr/",
            "/usr/local",
            "/etc",
            "/opt",
            "/opt/",
            "/opt//x",
            "/opt/../etc",
            "/opt/./x",
            "/opt/X",
            "/opt/a b",
            "/opt/a\n",
            "/opt/x/",
        ] {
            assert!(!is_prefix(bad), "{bad:?}");
        }
    }
}
