//! Tests of the tree generator: determinism, layout, and `meta.json` checked independently.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::{Meta, Params, SplitMix64, Tree, write_tree};

fn params(packages: usize) -> Params {
    Params { system_deps: true, ..Params::with_packages(packages) }
}

/// Every file below `dir`, relative path → bytes.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs_err::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_str().unwrap().to_owned();
                files.insert(rel, fs_err::read(&path).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

fn generate_into(dir: &Path, params: &Params) -> Meta {
    write_tree(&Tree::generate(params).unwrap(), dir).unwrap()
}

/// The text of every `<open>…</close>` / attribute value after `open` up to `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    text.split(open).skip(1).map(|rest| &rest[..rest.find(close).unwrap()]).collect()
}

#[test]
fn splitmix64_reference_stream() {
    // First outputs for seed 0, from the reference implementation.
    let mut rng = SplitMix64::new(0);
    assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
    assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    assert_eq!(rng.next_u64(), 0x06c4_5d18_8009_454f);
}

#[test]
fn same_params_give_byte_identical_trees() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let params = params(60);
    let meta_a = generate_into(a.path(), &params);
    let meta_b = generate_into(b.path(), &params);
    assert_eq!(meta_a, meta_b);
    let files_a = read_tree(a.path());
    assert_eq!(files_a, read_tree(b.path()));
    assert_eq!(files_a.len(), meta_a.files + 1, "meta.json counts every other file");

    // Regenerating into the same directory replaces the tree with an identical one.
    generate_into(a.path(), &params);
    assert_eq!(files_a, read_tree(a.path()));

    // A different seed gives a different tree.
    let c = tempfile::tempdir().unwrap();
    generate_into(c.path(), &Params { seed: 2, ..params });
    assert_ne!(files_a, read_tree(c.path()));
}

#[test]
fn system_deps_change_only_system_dependencies() {
    let with = Tree::generate(&params(300)).unwrap().meta();
    let without = Tree::generate(&Params { system_deps: false, ..params(300) }).unwrap().meta();
    assert_eq!(
        (with.edges, &with.deep, with.root_dependents),
        (without.edges, &without.deep, without.root_dependents)
    );
}

#[test]
fn refuses_to_replace_a_foreign_directory() {
    let dir = tempfile::tempdir().unwrap();
    fs_err::write(dir.path().join("precious.txt"), "keep me").unwrap();
    let err = write_tree(&Tree::generate(&params(10)).unwrap(), dir.path()).unwrap_err();
    assert!(err.to_string().contains("not a generated tree"), "{err}");
    assert!(dir.path().join("precious.txt").exists());
}

/// Re-derives the graph from the rendered files (not from the generator's model) and checks
/// every number of `meta.json` against it. In memory: writing thousands of files is slow here.
#[test]
fn meta_json_matches_the_files() {
    let params = params(2500);
    let tree = Tree::generate(&params).unwrap();
    let mut files = BTreeMap::new();
    tree.for_each_file(|path, contents| {
        assert!(
            files.insert(path.to_owned(), contents.as_bytes().to_vec()).is_none(),
            "{path} twice"
        );
        Ok(())
    })
    .unwrap();
    let meta: Meta = serde_json::from_str(&serde_json::to_string(&tree.meta()).unwrap()).unwrap();
    assert_eq!((&meta.params, meta.files), (&params, files.len()));

    // name → run dependencies on packages, as rospack reads them.
    let mut deps: HashMap<String, Vec<String>> = HashMap::new();
    let (mut wet, mut dry, mut metapackages) = (0, 0, 0);
    let mut stacks = BTreeSet::new();
    for (path, bytes) in &files {
        let text = std::str::from_utf8(bytes).unwrap();
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["ws", group, sub, dir_name, "package.xml"]
                if group.starts_with("grp_") && sub.starts_with("sub_") =>
            {
                let name = between(text, "<name>", "</name>")[0];
                assert_eq!(name, *dir_name);
                let run: Vec<String> = between(text, "<depend>", "</depend>")
                    .into_iter()
                    .filter(|d| *d != super::SYSTEM_DEP_KEY)
                    .map(str::to_owned)
                    .collect();
                assert!(text.contains("<buildtool_depend>catkin</buildtool_depend>"));
                for file in ["CMakeLists.txt", "src/x.cpp", &format!("include/{name}/x.h")] {
                    assert!(
                        files.contains_key(&format!("ws/{group}/{sub}/{name}/{file}")),
                        "{name}: {file}"
                    );
                }
                deps.insert(name.to_owned(), run);
                wet += 1;
            }
            ["ws", "stacks", stack, name, "manifest.xml"] => {
                assert!(files.contains_key(&format!("ws/stacks/{stack}/stack.xml")));
                assert!(text.contains("<cpp cflags=") && text.contains("<versioncontrol"));
                stacks.insert(*stack);
                let run = between(text, "<depend package=\"", "\"")
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                deps.insert((*name).to_owned(), run);
                dry += 1;
            }
            ["ws", "meta", _, "package.xml"] => {
                assert!(text.contains("<metapackage/>"));
                metapackages += 1;
            }
            _ => {}
        }
    }
    assert!(files.contains_key("ws/shadow/ignored/pkg_00000/CATKIN_IGNORE"));
    assert!(files.contains_key("ws/shadow/ignored/pkg_00000/package.xml"));
    assert!(files.contains_key("ws/shadow/nosubdirs/rospack_nosubdirs"));
    assert!(files.contains_key("ws/shadow/nosubdirs/pkg_00001/package.xml"));
    assert!(files.contains_key("ws/grp_02/docs/img/overview.svg"));

    assert_eq!((meta.packages, meta.wet, meta.dry), (deps.len(), wet, dry));
    assert_eq!(meta.dry, 125, "round(2500 * 0.05)");
    assert_eq!((meta.stacks, meta.metapackages), (stacks.len(), metapackages));
    assert_eq!(metapackages, 3, "one per 1000 packages, rounded up");
    assert_eq!(meta.edges, deps.values().map(Vec::len).sum::<usize>());

    // Closures by plain recursion with memoisation on names.
    fn closure<'a>(
        name: &'a str,
        deps: &'a HashMap<String, Vec<String>>,
        memo: &mut HashMap<&'a str, BTreeSet<&'a str>>,
    ) -> BTreeSet<&'a str> {
        if let Some(known) = memo.get(name) {
            return known.clone();
        }
        let mut all = BTreeSet::new();
        for dep in &deps[name] {
            assert!(deps.contains_key(dep), "{name} depends on unknown {dep}");
            assert!(dep.as_str() < name, "{name} depends on later {dep}");
            all.insert(dep.as_str());
            all.extend(closure(dep, deps, memo));
        }
        memo.insert(name, all.clone());
        all
    }
    let mut memo = HashMap::new();
    let mut names: Vec<&str> = deps.keys().map(String::as_str).collect();
    names.sort_unstable();
    let closures: Vec<(&str, BTreeSet<&str>)> =
        names.iter().map(|n| (*n, closure(n, &deps, &mut memo))).collect();
    let largest = closures.iter().map(|(_, c)| c.len()).max().unwrap();
    let first_largest = closures.iter().find(|(_, c)| c.len() == largest).unwrap().0;
    assert_eq!((meta.deep.as_str(), meta.deep_closure), (first_largest, largest));
    let dependents = closures.iter().filter(|(_, c)| c.contains(meta.root.as_str())).count();
    assert_eq!(meta.root_dependents, dependents);
    let direct = deps.values().filter(|d| d.contains(&meta.root)).count();
    assert_eq!(meta.root_direct_dependents, direct);
    assert!(meta.deep_paths >= meta.deep_closure as u64);
    assert_eq!(meta.middle, "pkg_01250");
}

/// Pins the output so that an accidental change of the generator shows up (bump
/// `GENERATOR_VERSION` and update these values when the change is intended).
#[test]
fn output_is_pinned() {
    let tree = Tree::generate(&Params::with_packages(1000)).unwrap();
    let meta = tree.meta();
    let summary = (
        meta.wet,
        meta.dry,
        meta.edges,
        meta.deep.as_str(),
        meta.deep_closure,
        meta.root_dependents,
    );
    assert_eq!(summary, (950, 50, 2407, "pkg_00997", 256, 766));
    // FNV-1a over every path and file, in generation order.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    tree.for_each_file(|path, contents| {
        for byte in path.bytes().chain([0]).chain(contents.bytes()).chain([0]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(hash, 3_885_454_936_100_297_493);
}
