//! `cargo xtask gen-tree`: a deterministic synthetic ROS source tree (layout below) on which
//! rospack, rospkg and rosdeb are measured.
//!
//! The core is pure: [`Tree::generate`] turns [`Params`] into a dependency graph with its own
//! PRNG (splitmix64, so the output never changes with crate versions), [`Tree::for_each_file`]
//! renders every file, and [`Tree::meta`] computes the numbers recorded in `meta.json`.
//!
//! Layout under `--out DIR` (everything a crawler sees is below `ws/`, the `ROS_PACKAGE_PATH`):
//! - `ws/grp_GG/sub_SSS/pkg_NNNNN/`: wet packages (package.xml format 2, CMakeLists.txt,
//!   `src/x.cpp`, `include/pkg_NNNNN/x.h`), 1000 per group, 20 per sub-directory.
//! - `ws/grp_GG/docs/img/`: directories without packages that every crawler descends into.
//! - `ws/stacks/stack_K/`: rosbuild stacks (stack.xml) holding the dry packages (manifest.xml).
//! - `ws/meta/meta_KK/`: one metapackage per 1000 packages (invisible to `rospack list`).
//! - `ws/shadow/`: a CATKIN_IGNORE'd copy of `pkg_00000` and a copy of `pkg_00001` below a
//!   `rospack_nosubdirs` directory; neither may be found.
//! - `meta.json`: parameters and the expected answers (deep package, closure, dependents, ...).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail, ensure};
use serde::{Deserialize, Serialize};

/// Bumped whenever the generated files or `meta.json` change, so cached trees are regenerated.
pub(crate) const GENERATOR_VERSION: u32 = 1;

/// Packages per `grp_GG` directory (and per metapackage).
const GROUP_SIZE: usize = 1000;
/// Packages per `sub_SSS` directory.
const SUB_SIZE: usize = 20;
/// The rosdep key used for `--system-deps`; the bench's rosdep cache defines it.
pub(crate) const SYSTEM_DEP_KEY: &str = "boost";

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    params: Params,
    /// Output directory (created; replaced only if it holds a tree generated earlier).
    #[arg(long)]
    out: PathBuf,
}

/// Everything that determines a tree: same parameters, byte-identical files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Args)]
pub(crate) struct Params {
    /// Number of packages (wet + dry; metapackages come on top).
    #[arg(long)]
    pub(crate) packages: usize,
    /// PRNG seed.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Maximum number of package dependencies per package (drawn uniformly in 0..=max).
    #[arg(long, default_value_t = 5)]
    pub(crate) max_deps: usize,
    /// Fraction of rosbuild ("dry") packages.
    #[arg(long, default_value_t = 0.05)]
    pub(crate) dry_fraction: f64,
    /// Number of rosbuild stacks holding the dry packages.
    #[arg(long, default_value_t = 5)]
    pub(crate) stacks: usize,
    /// Give about a quarter of the packages a system dependency (rosdep key `boost`).
    #[arg(long)]
    pub(crate) system_deps: bool,
}

impl Params {
    /// The defaults of the command line for `packages` packages.
    pub(crate) fn with_packages(packages: usize) -> Params {
        Params { packages, seed: 1, max_deps: 5, dry_fraction: 0.05, stacks: 5, system_deps: false }
    }

    fn validate(&self) -> anyhow::Result<()> {
        ensure!(
            self.packages >= 2,
            "--packages must be at least 2 (pkg_00000 and pkg_00001 are shadowed)"
        );
        ensure!(
            (0.0..=1.0).contains(&self.dry_fraction),
            "--dry-fraction must be between 0 and 1, not {}",
            self.dry_fraction
        );
        Ok(())
    }
}

/// What `meta.json` records: the parameters and the answers a correct tool must give.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Meta {
    pub(crate) generator: u32,
    pub(crate) params: Params,
    pub(crate) packages: usize,
    pub(crate) wet: usize,
    pub(crate) dry: usize,
    pub(crate) stacks: usize,
    pub(crate) metapackages: usize,
    /// Package-to-package run-dependency edges (system dependencies not counted).
    pub(crate) edges: usize,
    /// The package with the largest transitive run-dependency closure (lowest index on ties).
    pub(crate) deep: String,
    /// Size of `deep`'s closure, the package itself excluded (= lines of `rospack depends`).
    pub(crate) deep_closure: usize,
    /// Dependency paths from `deep` (the work of rospack's un-memoised `depends`).
    pub(crate) deep_paths: u64,
    /// Dependency paths summed over all packages (the work of rospack's `depends-on`).
    pub(crate) total_paths: u64,
    /// `pkg_00000`, which everything tends to depend on.
    pub(crate) root: String,
    /// Packages depending on `root`, transitively (= lines of `rospack depends-on`).
    pub(crate) root_dependents: usize,
    /// Packages depending on `root` directly (= lines of `rospack depends-on1`).
    pub(crate) root_direct_dependents: usize,
    /// A package in the middle of the tree, for `find`.
    pub(crate) middle: String,
    /// Number of files written (`meta.json` excluded).
    pub(crate) files: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Wet,
    Dry { stack: usize },
}

#[derive(Debug, Clone)]
struct Package {
    kind: Kind,
    /// Indices of the packages this one depends on (all smaller), sorted.
    deps: Vec<usize>,
    system_dep: bool,
}

/// A generated tree: the dependency graph; files are rendered on demand.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    params: Params,
    packages: Vec<Package>,
}

impl Tree {
    pub(crate) fn generate(params: &Params) -> anyhow::Result<Tree> {
        params.validate()?;
        let n = params.packages;
        let mut rng = SplitMix64::new(params.seed);

        // Exactly round(n * fraction) dry packages, never pkg_00000 / pkg_00001 (they are shadowed).
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "a fraction in 0..=1 of a package count"
        )]
        let dry_count = if params.stacks == 0 {
            0
        } else {
            ((n as f64 * params.dry_fraction).round() as usize).min(n - 2)
        };
        let mut pool: Vec<usize> = (2..n).collect();
        for j in 0..dry_count {
            let k = j + rng.below(pool.len() - j);
            pool.swap(j, k);
        }
        let mut is_dry = vec![false; n];
        for &i in &pool[..dry_count] {
            is_dry[i] = true;
        }

        let mut packages = Vec::with_capacity(n);
        let mut wet_so_far: Vec<usize> = Vec::with_capacity(n);
        for (i, &dry) in is_dry.iter().enumerate() {
            let wanted = rng.below(params.max_deps + 1);
            // Always drawn, so that --system-deps changes nothing else in the tree.
            let system_dep = rng.below(4) == 0 && params.system_deps;
            let (kind, mut deps) = if dry {
                let stack = rng.below(params.stacks);
                (Kind::Dry { stack }, sample(&mut rng, i, wanted))
            } else {
                let picks = sample(&mut rng, wet_so_far.len(), wanted);
                (Kind::Wet, picks.into_iter().map(|p| wet_so_far[p]).collect())
            };
            deps.sort_unstable();
            if !dry {
                wet_so_far.push(i);
            }
            packages.push(Package { kind, deps, system_dep });
        }
        Ok(Tree { params: params.clone(), packages })
    }

    fn metapackage_count(&self) -> usize {
        self.packages.len().div_ceil(GROUP_SIZE)
    }

    /// Calls `f(relative path, contents)` for every file of the tree, in a fixed order.
    pub(crate) fn for_each_file(
        &self,
        mut f: impl FnMut(&str, &str) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let n = self.packages.len();
        for (i, package) in self.packages.iter().enumerate() {
            let dir = package_dir(i, package.kind);
            match package.kind {
                Kind::Wet => {
                    for (file, contents) in self.wet_files(i) {
                        f(&format!("{dir}/{file}"), &contents)?;
                    }
                }
                Kind::Dry { stack } => {
                    f(&format!("{dir}/manifest.xml"), &self.manifest_xml(i, stack))?;
                    f(&format!("{dir}/CMakeLists.txt"), &rosbuild_cmakelists(&pkg_name(i)))?;
                }
            }
        }
        for group in 0..n.div_ceil(GROUP_SIZE) {
            let dir = format!("ws/grp_{group:02}/docs");
            f(
                &format!("{dir}/index.md"),
                &format!("# Group {group}\n\nNo packages below this directory.\n"),
            )?;
            f(&format!("{dir}/img/overview.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n")?;
        }
        let used_stacks: BTreeSet<usize> = self
            .packages
            .iter()
            .filter_map(|p| match p.kind {
                Kind::Dry { stack } => Some(stack),
                Kind::Wet => None,
            })
            .collect();
        for stack in used_stacks {
            let dir = format!("ws/stacks/stack_{stack}");
            f(&format!("{dir}/stack.xml"), &stack_xml(stack))?;
            f(&format!("{dir}/CMakeLists.txt"), &rosbuild_cmakelists(&format!("stack_{stack}")))?;
        }
        for meta in 0..self.metapackage_count() {
            let name = format!("meta_{meta:02}");
            let members: Vec<usize> = (meta * GROUP_SIZE..((meta + 1) * GROUP_SIZE).min(n))
                .filter(|&i| self.packages[i].kind == Kind::Wet)
                .collect();
            f(&format!("ws/meta/{name}/package.xml"), &metapackage_xml(&name, &members))?;
            f(&format!("ws/meta/{name}/CMakeLists.txt"), &metapackage_cmakelists(&name))?;
        }
        // Shadows: both copies must stay invisible to every crawler.
        f("ws/shadow/ignored/pkg_00000/CATKIN_IGNORE", "")?;
        for (file, contents) in self.wet_files(0) {
            f(&format!("ws/shadow/ignored/pkg_00000/{file}"), &contents)?;
        }
        f("ws/shadow/nosubdirs/rospack_nosubdirs", "")?;
        for (file, contents) in self.wet_files(1) {
            f(&format!("ws/shadow/nosubdirs/pkg_00001/{file}"), &contents)?;
        }
        Ok(())
    }

    /// The numbers of `meta.json`, computed from the graph.
    pub(crate) fn meta(&self) -> Meta {
        let n = self.packages.len();
        let deps: Vec<&[usize]> = self.packages.iter().map(|p| p.deps.as_slice()).collect();
        let closures = closure_sizes(&deps);
        let (deep, &deep_closure) = closures
            .iter()
            .enumerate()
            .rev()
            .max_by_key(|&(_, size)| size)
            .expect("at least 2 packages");
        let mut paths = vec![0_u64; n];
        for i in 0..n {
            paths[i] = deps[i]
                .iter()
                .fold(0_u64, |acc, &d| acc.saturating_add(1).saturating_add(paths[d]));
        }
        let total_paths = paths.iter().fold(0_u64, |acc, &p| acc.saturating_add(p));
        // Dependents of pkg_00000: deps point backwards, so one forward pass suffices.
        let mut reaches_root = vec![false; n];
        for i in 1..n {
            reaches_root[i] = deps[i].iter().any(|&d| d == 0 || reaches_root[d]);
        }
        let mut files = 0;
        self.for_each_file(|_, _| {
            files += 1;
            Ok(())
        })
        .expect("counting never fails");
        let dry = self.packages.iter().filter(|p| matches!(p.kind, Kind::Dry { .. })).count();
        Meta {
            generator: GENERATOR_VERSION,
            params: self.params.clone(),
            packages: n,
            wet: n - dry,
            dry,
            stacks: self
                .packages
                .iter()
                .filter_map(|p| match p.kind {
                    Kind::Dry { stack } => Some(stack),
                    Kind::Wet => None,
                })
                .collect::<BTreeSet<_>>()
                .len(),
            metapackages: self.metapackage_count(),
            edges: deps.iter().map(|d| d.len()).sum(),
            deep: pkg_name(deep),
            deep_closure,
            deep_paths: paths[deep],
            total_paths,
            root: pkg_name(0),
            root_dependents: reaches_root.iter().filter(|&&r| r).count(),
            root_direct_dependents: deps.iter().filter(|d| d.contains(&0)).count(),
            middle: pkg_name(n / 2),
            files,
        }
    }

    fn wet_files(&self, i: usize) -> [(String, String); 4] {
        let name = pkg_name(i);
        let package = &self.packages[i];
        let dep_names: Vec<String> = package.deps.iter().map(|&d| pkg_name(d)).collect();
        [
            ("package.xml".to_owned(), wet_package_xml(i, &dep_names, package.system_dep)),
            ("CMakeLists.txt".to_owned(), catkin_cmakelists(&name, &dep_names)),
            (
                "src/x.cpp".to_owned(),
                format!("#include \"{name}/x.h\"\n\nint {name}_x() {{ return {i}; }}\n"),
            ),
            (
                format!("include/{name}/x.h"),
                format!(
                    "#pragma once\n\n/// Part of the synthetic package {name}.\nint {name}_x();\n"
                ),
            ),
        ]
    }

    fn manifest_xml(&self, i: usize, stack: usize) -> String {
        let name = pkg_name(i);
        let package = &self.packages[i];
        let mut xml = format!(
            "<package>\n  <description brief=\"{name}\">Synthetic rosbuild package {i}.</description>\n  \
             <author>xtask gen-tree</author>\n  <license>BSD</license>\n  \
             <review status=\"unreviewed\" notes=\"\"/>\n  <url>http://example.org/{name}</url>\n"
        );
        for &d in &package.deps {
            let _ = writeln!(xml, "  <depend package=\"{}\"/>", pkg_name(d));
        }
        if package.system_dep {
            let _ = writeln!(xml, "  <rosdep name=\"{SYSTEM_DEP_KEY}\"/>");
        }
        let _ = write!(
            xml,
            "  <export>\n    <cpp cflags=\"-I${{prefix}}/include\" \
             lflags=\"-L${{prefix}}/lib -Wl,-rpath,${{prefix}}/lib -l{name}\"/>\n  </export>\n  \
             <versioncontrol type=\"git\" url=\"https://example.org/stack_{stack}.git\"/>\n</package>\n"
        );
        xml
    }
}

/// Writes `tree` below `out` (replacing an earlier generated tree there) and returns its meta.
pub(crate) fn write_tree(tree: &Tree, out: &Path) -> anyhow::Result<Meta> {
    if out.exists() {
        let non_empty = fs_err::read_dir(out)?.next().is_some();
        if non_empty {
            if !out.join("meta.json").exists() {
                bail!(
                    "`{}` exists and is not a generated tree (no meta.json); refusing to replace it",
                    out.display()
                );
            }
            fs_err::remove_dir_all(out)?;
        }
    }
    fs_err::create_dir_all(out)?;
    let mut last_dir = PathBuf::new();
    tree.for_each_file(|rel, contents| {
        let path = out.join(rel);
        let parent = path.parent().expect("files are below `out`");
        if parent != last_dir {
            fs_err::create_dir_all(parent)?;
            parent.clone_into(&mut last_dir);
        }
        fs_err::write(&path, contents)?;
        Ok(())
    })?;
    let meta = tree.meta();
    let json = serde_json::to_string_pretty(&meta)? + "\n";
    fs_err::write(out.join("meta.json"), json)?;
    Ok(meta)
}

/// Reads `dir/meta.json` if it describes a tree generated from `params` by this generator.
pub(crate) fn existing_meta(dir: &Path, params: &Params) -> Option<Meta> {
    let text = fs_err::read_to_string(dir.join("meta.json")).ok()?;
    let meta: Meta = serde_json::from_str(&text).ok()?;
    (meta.generator == GENERATOR_VERSION && &meta.params == params).then_some(meta)
}

/// Reuses the tree in `dir` if its meta matches `params`, else (re)generates it.
pub(crate) fn ensure_tree(dir: &Path, params: &Params) -> anyhow::Result<Meta> {
    if let Some(meta) = existing_meta(dir, params) {
        eprintln!("reusing tree `{}` ({} packages)", dir.display(), meta.packages);
        return Ok(meta);
    }
    eprintln!(
        "generating tree `{}` ({} packages, seed {})",
        dir.display(),
        params.packages,
        params.seed
    );
    let tree = Tree::generate(params)?;
    write_tree(&tree, dir).with_context(|| format!("writing tree `{}`", dir.display()))
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let start = std::time::Instant::now();
    let tree = Tree::generate(&args.params)?;
    let meta = write_tree(&tree, &args.out)
        .with_context(|| format!("writing tree `{}`", args.out.display()))?;
    eprintln!(
        "wrote `{}`: {} packages ({} wet, {} dry in {} stacks, {} metapackages), {} edges, {} files in {:.1} s",
        args.out.display(),
        meta.packages,
        meta.wet,
        meta.dry,
        meta.stacks,
        meta.metapackages,
        meta.edges,
        meta.files,
        start.elapsed().as_secs_f64()
    );
    eprintln!(
        "deep package {} (closure {}, {} paths); {} has {} dependents; ROS_PACKAGE_PATH={}",
        meta.deep,
        meta.deep_closure,
        meta.deep_paths,
        meta.root,
        meta.root_dependents,
        args.out.join("ws").display()
    );
    println!("{}", serde_json::to_string_pretty(&meta)?);
    Ok(())
}

pub(crate) fn pkg_name(i: usize) -> String {
    format!("pkg_{i:05}")
}

fn package_dir(i: usize, kind: Kind) -> String {
    match kind {
        Kind::Wet => format!(
            "ws/grp_{:02}/sub_{:03}/{}",
            i / GROUP_SIZE,
            (i % GROUP_SIZE) / SUB_SIZE,
            pkg_name(i)
        ),
        Kind::Dry { stack } => format!("ws/stacks/stack_{stack}/{}", pkg_name(i)),
    }
}

/// Size of each package's transitive closure (itself excluded); `deps[i]` must only hold `< i`.
fn closure_sizes(deps: &[&[usize]]) -> Vec<usize> {
    let mut seen_by = vec![usize::MAX; deps.len()];
    let mut stack = Vec::new();
    let mut sizes = Vec::with_capacity(deps.len());
    for root in 0..deps.len() {
        let mut size = 0;
        stack.push(root);
        while let Some(p) = stack.pop() {
            for &d in deps[p] {
                if seen_by[d] != root {
                    seen_by[d] = root;
                    size += 1;
                    stack.push(d);
                }
            }
        }
        sizes.push(size);
    }
    sizes
}

/// `k` distinct values drawn uniformly from `0..len` (all of them when `k >= len`), in draw order.
fn sample(rng: &mut SplitMix64, len: usize, k: usize) -> Vec<usize> {
    if k >= len {
        return (0..len).collect();
    }
    let mut picked = Vec::with_capacity(k);
    while picked.len() < k {
        let candidate = rng.below(len);
        if !picked.contains(&candidate) {
            picked.push(candidate);
        }
    }
    picked
}

fn wet_package_xml(i: usize, deps: &[String], system_dep: bool) -> String {
    let name = pkg_name(i);
    let mut xml = format!(
        "<?xml version=\"1.0\"?>\n<package format=\"2\">\n  <name>{name}</name>\n  <version>1.{}.{}</version>\n  \
         <description>Synthetic catkin package {i}.</description>\n  \
         <maintainer email=\"bench@example.org\">xtask gen-tree</maintainer>\n  <license>BSD</license>\n\n  \
         <buildtool_depend>catkin</buildtool_depend>\n",
        i / 100,
        i % 100
    );
    for dep in deps {
        let _ = writeln!(xml, "  <depend>{dep}</depend>");
    }
    if system_dep {
        let _ = writeln!(xml, "  <depend>{SYSTEM_DEP_KEY}</depend>");
    }
    xml.push_str("</package>\n");
    xml
}

fn catkin_cmakelists(name: &str, deps: &[String]) -> String {
    let components = deps.join(" ");
    format!(
        "cmake_minimum_required(VERSION 3.0.2)\nproject({name})\n\n\
         find_package(catkin REQUIRED COMPONENTS {components})\n\n\
         catkin_package(\n  INCLUDE_DIRS include\n  LIBRARIES {name}\n  CATKIN_DEPENDS {components}\n)\n\n\
         include_directories(include ${{catkin_INCLUDE_DIRS}})\nadd_library({name} src/x.cpp)\n\
         target_link_libraries({name} ${{catkin_LIBRARIES}})\n"
    )
}

fn rosbuild_cmakelists(name: &str) -> String {
    format!(
        "cmake_minimum_required(VERSION 2.4.6)\ninclude($ENV{{ROS_ROOT}}/core/rosbuild/rosbuild.cmake)\n\
         rosbuild_init()\n# {name}\n"
    )
}

fn stack_xml(stack: usize) -> String {
    format!(
        "<stack>\n  <description brief=\"stack_{stack}\">Synthetic rosbuild stack {stack}.</description>\n  \
         <author>xtask gen-tree</author>\n  <license>BSD</license>\n  <review status=\"unreviewed\" notes=\"\"/>\n  \
         <url>http://example.org/stack_{stack}</url>\n</stack>\n"
    )
}

fn metapackage_xml(name: &str, members: &[usize]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\"?>\n<package format=\"2\">\n  <name>{name}</name>\n  <version>1.0.0</version>\n  \
         <description>Synthetic metapackage {name}.</description>\n  \
         <maintainer email=\"bench@example.org\">xtask gen-tree</maintainer>\n  <license>BSD</license>\n\n  \
         <buildtool_depend>catkin</buildtool_depend>\n"
    );
    for &m in members {
        let _ = writeln!(xml, "  <exec_depend>{}</exec_depend>", pkg_name(m));
    }
    xml.push_str("\n  <export>\n    <metapackage/>\n  </export>\n</package>\n");
    xml
}

fn metapackage_cmakelists(name: &str) -> String {
    format!(
        "cmake_minimum_required(VERSION 3.0.2)\nproject({name})\nfind_package(catkin REQUIRED)\ncatkin_metapackage()\n"
    )
}

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and fixed forever.
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the tiny bias is irrelevant here). `n > 0`.
    fn below(&mut self, n: usize) -> usize {
        #[expect(clippy::cast_possible_truncation, reason = "the result is < n, a usize")]
        let value = ((u128::from(self.next_u64()) * n as u128) >> 64) as usize;
        value
    }
}

#[cfg(test)]
mod tests;
