//! Tidy: the embedded table and the `templates/` directory agree.

use std::path::Path;

fn listing(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in fs_err::read_dir(dir).expect("templates/ is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            listing(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "j2") {
            let rel = path.strip_prefix(root).expect("under root");
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn table_matches_directory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates");
    let mut on_disk = Vec::new();
    listing(&root, &root, &mut on_disk);
    on_disk.sort();
    let table: Vec<String> = super::EMBEDDED.iter().map(|(n, _)| (*n).to_owned()).collect();
    let mut sorted = table.clone();
    sorted.sort();
    assert_eq!(table, sorted, "keep the EMBEDDED table sorted");
    assert_eq!(table, on_disk, "templates/*.j2 and templates.rs EMBEDDED differ");
}

#[test]
fn readme_lists_every_template() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates");
    let readme = fs_err::read_to_string(root.join("README.md")).expect("templates/README.md");
    for (name, _) in super::EMBEDDED {
        assert!(
            readme.contains(&format!("`{name}`")),
            "templates/README.md does not list `{name}`"
        );
    }
}

#[test]
fn set_replaces_known_names_only() {
    let mut t = super::Templates::default();
    assert!(t.set("control.j2", "x".into()));
    assert!(!t.set("nope.j2", "x".into()));
    assert_eq!(t.get("control.j2"), Some("x"));
    assert_eq!(t.overridden(), ["control.j2"]);
}
