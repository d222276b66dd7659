use std::path::Path;

use super::project::{Metadata, is_project_name, line_column, parse_pyproject};
use super::*;

const GOOD: &str = r#"[project]
name = "pyros_topic_web"
version = "0.1.0"
dependencies = ["bottle>=0.12", "Py.Ros ; python_version >= '3.8'"]
authors = [{ name = "A", email = "a@example.org" }]
"#;

fn err(text: &str) -> VenvError {
    parse_pyproject(Path::new("app/pyproject.toml"), text).unwrap_err()
}

#[test]
fn pyproject_gives_name_version_and_positioned_dependencies() {
    let p = parse_pyproject(Path::new("pyproject.toml"), GOOD).unwrap();
    assert_eq!(p.name, "pyros_topic_web");
    assert_eq!(p.version.as_deref(), Some("0.1.0"));
    assert_eq!(p.dependencies[1].0, "Py.Ros ; python_version >= '3.8'");
    assert_eq!(p.dependencies[1].1, (4, 33));
}

#[test]
fn bad_pyproject_values_are_reported_at_their_position_with_a_hint() {
    let e = err(&GOOD.replace("\"pyros_topic_web\"", "\"-bad\""));
    assert!(e.to_string().starts_with("app/pyproject.toml:2:8: `-bad` is not a valid"), "{e}");
    let e = err(&GOOD.replace("\"0.1.0\"", "\"1!2.0\""));
    assert!(e.to_string().starts_with("app/pyproject.toml:3:11: version `1!2.0`"), "{e}");
    let e = err(&GOOD.replace("version = \"0.1.0\"\n", ""));
    assert!(e.to_string().contains("no `version`"), "{e}");
    assert!(e.to_string().starts_with("app/pyproject.toml:1:1:"), "{e}");
    let e = err(&GOOD.replace("version = \"0.1.0\"\n", "dynamic = [\"description\"]\n"));
    assert!(e.to_string().contains("no `version`"), "{e}");
    let dynamic = GOOD.replace("version = \"0.1.0\"\n", "dynamic = [\"version\"]\n");
    assert_eq!(parse_pyproject(Path::new("p"), &dynamic).unwrap().version, None);
    let p = parse_pyproject(Path::new("p"), &GOOD.replace(", email = \"a@example.org\"", ""));
    let e = p.unwrap().check_application().unwrap_err();
    assert!(e.to_string().contains("no author or maintainer with an email"), "{e}");
    assert!(e.hint().contains("authors = [{"), "{}", e.hint());
    let e = err("[build-system]\nrequires = []\n");
    assert!(e.to_string().contains("no [project] table"), "{e}");
    let e = err("[project]\nname = 3\n");
    assert!(e.to_string().starts_with("app/pyproject.toml:2:8: invalid pyproject.toml"), "{e}");
}

#[test]
fn names_normalise_to_debian_names() {
    assert_eq!(debian_name("pyros_topic_web"), "pyros-topic-web");
    assert_eq!(debian_name("My.App__x"), "my-app-x");
    assert!(is_project_name("a") && is_project_name("A.b-c_1"));
    assert!(!is_project_name("a-") && !is_project_name("é") && !is_project_name(""));
    assert_eq!(requirement_name("Py.Ros[x]>=1 ; python_version<'4'"), "Py.Ros");
    assert_eq!(line_column("ab\ncdé", 7), (2, 4));
    assert_eq!(line_column("ab\ncdé", 6), (2, 3), "inside a character: its start");
}

#[test]
fn a_dependency_named_like_an_embedded_project_is_found() {
    let deps = vec!["bottle>=0.12".to_owned(), "PyRos>=0.4".to_owned()];
    let found = confused(&deps, &["pyros".to_owned()]);
    assert_eq!(found, vec![("PyRos>=0.4", "pyros".to_owned())]);
    assert!(confused(&deps, &["pyros-extra".to_owned()]).is_empty());
}

#[test]
fn pip_missing_requirement_is_read_from_its_output() {
    let log = "Looking in links: /x\nERROR: Could not find a version that satisfies the \
               requirement nosuch-x (from versions: none)\nERROR: No matching distribution found \
               for nosuch-x\n";
    assert_eq!(missing_requirement(log).as_deref(), Some("nosuch-x"));
    assert_eq!(missing_requirement("ERROR: other\n"), None);
}

#[test]
fn metadata_gives_maintainer_license_and_description() {
    let m = Metadata::parse(
        "Metadata-Version: 2.1\nName: app\nVersion: 1.0\nSummary: S\nAuthor-email: \"A B\" \
         <a@x.org>, C <c@x.org>\nLicense: MIT\nRequires-Dist: bottle>=0.12\n\n# Title\n\nFirst \
         paragraph\nof it.\n\nSecond.\n",
    );
    assert_eq!(m.maintainer().as_deref(), Some("A B <a@x.org>"));
    assert_eq!(m.license().as_deref(), Some("MIT"));
    assert_eq!(m.all("Requires-Dist").collect::<Vec<_>>(), ["bottle>=0.12"]);
    assert_eq!(first_paragraph(&m.body), "First paragraph of it.");
    let bare = Metadata::parse("Name: a\nAuthor: Ann\nAuthor-email: ann@x.org\n");
    assert_eq!(bare.maintainer().as_deref(), Some("Ann <ann@x.org>"));
    assert_eq!(Metadata::parse("Name: a\nAuthor: Ann\n").maintainer(), None);
}

#[test]
fn control_values_pass_deb822_and_python_bounds_are_the_targets() {
    let m = Metadata::parse("Name: a\nSummary: line one\u{85}Package: evil\n");
    let input = ControlInput {
        package: "app",
        version: "1.0-0focal",
        architecture: "all",
        maintainer: "A <a@x.org>",
        python: (3, 8),
        metadata: &m,
        origin: "app/pyproject.toml",
    };
    assert!(matches!(control(&input), Err(VenvError::Value(_))));
    let m = Metadata::parse("Name: a\nSummary: An app\n\nLong text.\n");
    let c = control(&ControlInput { metadata: &m, ..input }).unwrap();
    assert_eq!(c.get("Depends"), Some("python3 (>= 3.8), python3 (<< 3.9)"));
    let expected = "Description: An app\n Long text.\n .\n The package carries a Python 3.8 \
                    virtual environment in\n /opt/venvs/app with";
    assert!(c.render().contains(expected), "{}", c.render());
}

#[test]
fn entry_points_give_safe_script_names_only() {
    let text = "[console_scripts]\napp = a:main\n../evil = a:x\n-x = a:y\n\n[gui_scripts]\n\
                app-gui = a:gui\n[other]\nno = a:b\n";
    assert_eq!(entry_point_scripts(text), ["app", "app-gui"]);
}

#[test]
fn layout_rewrites_python_shebangs_only() {
    assert_eq!(
        layout::shebang_rest(b"#!/tmp/w/pip-env/bin/python\nimport x\n"),
        Some(&b"import x\n"[..])
    );
    assert_eq!(layout::shebang_rest(b"#!/bin/sh\necho\n"), None);
    assert_eq!(layout::shebang_rest(b"import x\n"), None);
    assert!(layout::pyvenv_cfg((3, 8)).contains("version = 3.8\n"));
}

#[test]
fn layout_builds_the_venv_and_drops_what_names_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let site = work.join("site");
    let dist = site.join("app-1.0.dist-info");
    fs_err::create_dir_all(site.join("app/__pycache__")).unwrap();
    fs_err::create_dir_all(site.join("bin")).unwrap();
    fs_err::create_dir_all(&dist).unwrap();
    let pip_python = format!("#!{}/pip-env/bin/python3\n", work.display());
    fs_err::write(site.join("bin/app"), format!("{pip_python}from app import main\n")).unwrap();
    fs_err::write(site.join("bin/helper.sh"), "#!/bin/sh\necho\n").unwrap();
    fs_err::write(site.join("app/__init__.py"), "").unwrap();
    fs_err::write(site.join("app/__pycache__/__init__.cpython-311.pyc"), "x").unwrap();
    fs_err::write(site.join("app/old.pyc"), "x").unwrap();
    fs_err::write(dist.join("METADATA"), "Name: app\n").unwrap();
    fs_err::write(
        dist.join("direct_url.json"),
        format!("{{\"url\": \"file://{}\"}}", work.display()),
    )
    .unwrap();
    fs_err::write(dist.join("RECORD"), format!("../../{}/bin/app,,\n", work.display())).unwrap();
    let staging = dir.path().join("staging");
    let root = layout::lay_out(&layout::Installed { site }, &staging, "app", (3, 8)).unwrap();
    assert_eq!(root, staging.join("opt/venvs/app"));
    let lib = root.join("lib/python3.8/site-packages");
    assert!(
        lib.join("app/__init__.py").is_file() && lib.join("app-1.0.dist-info/METADATA").is_file()
    );
    assert!(!lib.join("app/__pycache__").exists() && !lib.join("app/old.pyc").exists());
    assert!(!lib.join("app-1.0.dist-info/direct_url.json").exists());
    assert!(!lib.join("app-1.0.dist-info/RECORD").exists());
    let script = fs_err::read_to_string(root.join("bin/app")).unwrap();
    assert_eq!(script, "#!/opt/venvs/app/bin/python3\nfrom app import main\n");
    assert_eq!(fs_err::read_to_string(root.join("bin/helper.sh")).unwrap(), "#!/bin/sh\necho\n");
    assert_eq!(fs_err::read_link(root.join("bin/python3")).unwrap(), Path::new("/usr/bin/python3"));
    assert_eq!(fs_err::read_link(root.join("bin/python")).unwrap(), Path::new("python3"));
    let needle = work.display().to_string();
    assert!(layout::files_containing(&staging, needle.as_bytes()).unwrap().is_empty());
    // The check itself finds a file, or a link, that still names the work folder.
    fs_err::write(lib.join("app/where.txt"), format!("built in {needle}/src")).unwrap();
    std::os::unix::fs::symlink(format!("{needle}/x"), root.join("bin/leak")).unwrap();
    let found = layout::files_containing(&staging, needle.as_bytes()).unwrap();
    assert_eq!(
        found,
        [
            Path::new("opt/venvs/app/bin/leak"),
            Path::new("opt/venvs/app/lib/python3.8/site-packages/app/where.txt")
        ]
    );
}
