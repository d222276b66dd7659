//! Finding `.msg` / `.srv` files under search roots and caching the compiled types.
//!
//! A type `pkg/Name` is `<root>/<pkg>/msg/Name.msg` (or `srv/Name.srv`) under the first root
//! that has it; a root that is itself the package's folder (`ROSRUST_MSG_PATH=/x/std_msgs`,
//! or a package found on `ROS_PACKAGE_PATH`) holds `msg/` directly.

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::Error;
use crate::msg_type::{MsgType, SrvType};
use crate::parse::{self, split_type_name};

/// Finds message and service definitions and caches their compiled types. Thread-safe.
#[derive(Debug)]
pub struct Registry {
    roots: Vec<PathBuf>,
    search: Vec<Root>,
    messages: RwLock<HashMap<String, Arc<MsgType>>>,
    services: RwLock<HashMap<String, Arc<SrvType>>>,
    /// Types built from connection headers, by (type name, full definition).
    definitions: Mutex<HashMap<(String, String), Arc<MsgType>>>,
}

#[derive(Debug, Clone)]
enum Root {
    /// A folder of package folders (`/usr/share`), or a package folder named after its package.
    Tree(PathBuf),
    /// A package folder found by name (its folder may be named differently).
    Package { name: String, dir: PathBuf },
}

/// What a type name resolves to while compiling: a text to parse, or a type already compiled.
enum Source {
    Text { text: String, path: PathBuf, first_line: usize },
    Compiled(Arc<MsgType>),
}

impl Registry {
    /// A registry searching `roots` in order.
    pub fn new(roots: Vec<PathBuf>) -> Registry {
        let search = roots.iter().cloned().map(Root::Tree).collect();
        Registry::with_search(roots, search)
    }

    /// A registry over the process environment: `ROSRUST_MSG_PATH` entries, the packages on
    /// `ROS_PACKAGE_PATH` (crawled with rospack's rules), `CMAKE_PREFIX_PATH` entries' `share`,
    /// `/opt/ros/*/share`, then `/usr/share` (Debian's `/usr/share/<pkg>/msg`).
    pub fn from_env() -> Registry {
        Registry::from_vars(
            &|name| std::env::var(name).ok(),
            Path::new("/opt/ros"),
            Path::new("/usr/share"),
        )
    }

    /// [`Registry::from_env`] over the variables `var` gives, with `/opt/ros` and `/usr/share`
    /// replaceable (for tests).
    pub(crate) fn from_vars(
        var: &dyn Fn(&str) -> Option<String>,
        opt_ros: &Path,
        usr_share: &Path,
    ) -> Registry {
        let list = |name: &str| rospkg::crawl::split_path_list(&var(name).unwrap_or_default());
        let mut search: Vec<Root> = list("ROSRUST_MSG_PATH").into_iter().map(Root::Tree).collect();
        let package_path = list("ROS_PACKAGE_PATH");
        if !package_path.is_empty() {
            let search_path = rospkg::crawl::SearchPath {
                entries: package_path,
                usr_share: false,
                ament_prefixes: Vec::new(),
            };
            let options = rospkg::rospack::Options {
                crawl: rospkg::crawl::CrawlOptions { ros2_markers: false },
                ..rospkg::rospack::Options::default()
            };
            let packages = rospkg::rospack::RosPack::open(&search_path, options);
            for item in packages.list() {
                search.push(Root::Package { name: item.name.clone(), dir: item.dir.clone() });
            }
        }
        search.extend(list("CMAKE_PREFIX_PATH").into_iter().map(|p| Root::Tree(p.join("share"))));
        let mut distros: Vec<PathBuf> = fs_err::read_dir(opt_ros)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path().join("share")).collect())
            .unwrap_or_default();
        distros.sort();
        search.extend(distros.into_iter().map(Root::Tree));
        search.push(Root::Tree(usr_share.to_path_buf()));

        let mut seen = Vec::new();
        search.retain(|root| {
            let path = root.path().to_path_buf();
            let new = !seen.contains(&path);
            seen.push(path);
            new
        });
        let roots = search.iter().map(|root| root.path().to_path_buf()).collect();
        Registry::with_search(roots, search)
    }

    fn with_search(roots: Vec<PathBuf>, search: Vec<Root>) -> Registry {
        Registry {
            roots,
            search,
            messages: RwLock::default(),
            services: RwLock::default(),
            definitions: Mutex::default(),
        }
    }

    /// The search roots in order (package folders for packages found on `ROS_PACKAGE_PATH`).
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// The message type `type_name` (`std_msgs/String`; `Header` means `std_msgs/Header`,
    /// `pkg/msg/Name` means `pkg/Name`), loaded from disk on first use.
    pub fn message(&self, type_name: &str) -> Result<Arc<MsgType>, Error> {
        let name = normalize(type_name, "msg")?;
        if let Some(found) = self.messages.read().unwrap_or_else(PoisonError::into_inner).get(&name)
        {
            return Ok(Arc::clone(found));
        }
        let mut cache = self.messages.write().unwrap_or_else(PoisonError::into_inner);
        let mut stack = Vec::new();
        let mut resolve = |dep: &str, needed_by: Option<&str>| self.read_msg_file(dep, needed_by);
        compile_named(&name, None, &mut cache, &mut stack, &mut resolve)
    }

    /// The service type `type_name` (`std_srvs/SetBool`), loaded from disk on first use.
    pub fn service(&self, type_name: &str) -> Result<Arc<SrvType>, Error> {
        let name = normalize(type_name, "srv")?;
        if let Some(found) = self.services.read().unwrap_or_else(PoisonError::into_inner).get(&name)
        {
            return Ok(Arc::clone(found));
        }
        let mut services = self.services.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = services.get(&name) {
            return Ok(Arc::clone(found));
        }
        let (package, base) = split_type_name(&name).expect("normalized");
        let path = self.find(package, base, "srv").ok_or_else(|| Error::NotFound {
            kind: "service",
            type_name: name.clone(),
            needed_by: None,
            searched: self.roots.clone(),
        })?;
        let text = fs_err::read_to_string(&path)?;
        let (request_text, request_line, response_text, response_line) = parse::split_srv(&text);
        let mut cache = self.messages.write().unwrap_or_else(PoisonError::into_inner);
        let mut half = |suffix: &str, text: &str, first_line: usize| {
            let half_name = format!("{name}{suffix}");
            let spec = parse::parse_msg(&half_name, text, first_line).map_err(|e| {
                Error::Parse { path: path.clone(), line: e.line, message: e.message }
            })?;
            let mut stack = vec![half_name.clone()];
            let mut resolve =
                |dep: &str, needed_by: Option<&str>| self.read_msg_file(dep, needed_by);
            MsgType::compile(spec, |dep| {
                compile_named(dep, None, &mut cache, &mut stack, &mut resolve)
            })
        };
        let request = half("Request", &request_text, request_line)?;
        let response = half("Response", &response_text, response_line)?;
        let service = Arc::new(SrvType::new(name.clone(), request, response));
        services.insert(name, Arc::clone(&service));
        Ok(service)
    }

    /// The message type `type_name` from a TCPROS connection header's `message_definition`
    /// (the root text, then `====...` + `MSG: pkg/Type` sections). Types missing from the text
    /// are looked up on disk. Parse errors name `message_definition of <type>` and the line.
    pub fn message_from_definition(
        &self,
        type_name: &str,
        full_definition: &str,
    ) -> Result<Arc<MsgType>, Error> {
        let name = normalize(type_name, "msg")?;
        let key = (name.clone(), full_definition.to_owned());
        if let Some(found) =
            self.definitions.lock().unwrap_or_else(PoisonError::into_inner).get(&key)
        {
            return Ok(Arc::clone(found));
        }
        let origin = PathBuf::from(format!("message_definition of {name}"));
        let mut sections = split_definition(full_definition, &origin)?;
        let (root_text, root_line) = sections.remove("").unwrap_or_default();
        let mut cache = HashMap::new();
        let mut stack = Vec::new();
        let mut resolve = |dep: &str, needed_by: Option<&str>| match sections.get(dep) {
            Some((text, first_line)) => Ok(Source::Text {
                text: text.clone(),
                path: origin.clone(),
                first_line: *first_line,
            }),
            None => match self.message(dep) {
                Err(Error::NotFound { kind, type_name, searched, .. }) => Err(Error::NotFound {
                    kind,
                    type_name,
                    needed_by: needed_by.map(str::to_owned),
                    searched,
                }),
                other => other.map(Source::Compiled),
            },
        };
        let root = Source::Text { text: root_text, path: origin.clone(), first_line: root_line };
        let compiled = compile_named(&name, Some(root), &mut cache, &mut stack, &mut resolve)?;
        // Keep the header's text byte for byte: it is what the publisher sent.
        let compiled = Arc::new(MsgType {
            definition: full_definition.to_owned(),
            ..Arc::unwrap_or_clone(compiled)
        });
        self.definitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, Arc::clone(&compiled));
        Ok(compiled)
    }

    fn read_msg_file(&self, name: &str, needed_by: Option<&str>) -> Result<Source, Error> {
        let (package, base) =
            split_type_name(name).ok_or_else(|| Error::InvalidName { type_name: name.into() })?;
        let path = self.find(package, base, "msg").ok_or_else(|| Error::NotFound {
            kind: "message",
            type_name: name.to_owned(),
            needed_by: needed_by.map(str::to_owned),
            searched: self.roots.clone(),
        })?;
        let text = fs_err::read_to_string(&path)?;
        Ok(Source::Text { text, path, first_line: 1 })
    }

    fn find(&self, package: &str, base: &str, ext: &str) -> Option<PathBuf> {
        let file = format!("{base}.{ext}");
        self.search.iter().find_map(|root| {
            let candidates: Vec<PathBuf> = match root {
                Root::Tree(dir) => {
                    let mut candidates = vec![dir.join(package).join(ext).join(&file)];
                    if dir.file_name().is_some_and(|n| n == package) {
                        candidates.push(dir.join(ext).join(&file));
                    }
                    candidates
                }
                Root::Package { name, dir } if name == package => vec![dir.join(ext).join(&file)],
                Root::Package { .. } => Vec::new(),
            };
            candidates.into_iter().find(|path| path.is_file())
        })
    }
}

impl Root {
    fn path(&self) -> &Path {
        match self {
            Root::Tree(dir) | Root::Package { dir, .. } => dir,
        }
    }
}

/// Finds the source of a dependency (its name, and the type needing it).
type Resolve<'a> = dyn FnMut(&str, Option<&str>) -> Result<Source, Error> + 'a;

/// Compiles message `name` (from `root` if given, else from `resolve`), and its dependencies
/// recursively, caching every type compiled in `cache`.
fn compile_named(
    name: &str,
    root: Option<Source>,
    cache: &mut HashMap<String, Arc<MsgType>>,
    stack: &mut Vec<String>,
    resolve: &mut Resolve<'_>,
) -> Result<Arc<MsgType>, Error> {
    if let Some(found) = cache.get(name) {
        return Ok(Arc::clone(found));
    }
    if stack.iter().any(|n| n == name) {
        let mut chain = stack.clone();
        chain.push(name.to_owned());
        return Err(Error::Cycle { type_name: name.to_owned(), chain: chain.join(" -> ") });
    }
    let source = match root {
        Some(source) => source,
        None => resolve(name, stack.last().map(String::as_str))?,
    };
    let (text, path, first_line) = match source {
        Source::Compiled(compiled) => return Ok(compiled),
        Source::Text { text, path, first_line } => (text, path, first_line),
    };
    let spec = parse::parse_msg(name, &text, first_line).map_err(|e| Error::Parse {
        path,
        line: e.line,
        message: e.message,
    })?;
    stack.push(name.to_owned());
    let compiled = MsgType::compile(spec, |dep| compile_named(dep, None, cache, stack, resolve));
    stack.pop();
    let compiled = Arc::new(compiled?.0);
    cache.insert(name.to_owned(), Arc::clone(&compiled));
    Ok(compiled)
}

/// `Header` → `std_msgs/Header` (messages only); `pkg/msg/Name` → `pkg/Name`; checks the form.
fn normalize(type_name: &str, kind: &str) -> Result<String, Error> {
    let trimmed = type_name.trim();
    if kind == "msg" && trimmed == "Header" {
        return Ok("std_msgs/Header".to_owned());
    }
    let parts: Vec<&str> = trimmed.split('/').collect();
    let name = match parts[..] {
        [package, middle, base] if middle == kind => format!("{package}/{base}"),
        _ => trimmed.to_owned(),
    };
    if split_type_name(&name).is_none() {
        return Err(Error::InvalidName { type_name: type_name.to_owned() });
    }
    Ok(name)
}

/// The sections of a full definition by type name (the root text under `""`), each with its
/// first line number.
fn split_definition(
    full_definition: &str,
    origin: &Path,
) -> Result<HashMap<String, (String, usize)>, Error> {
    let separator = "=".repeat(80);
    let mut sections = HashMap::new();
    let mut current: (String, usize, Vec<&str>) = (String::new(), 1, Vec::new());
    let mut lines = full_definition.split('\n').enumerate();
    while let Some((index, line)) = lines.next() {
        if line != separator {
            current.2.push(line);
            continue;
        }
        let (header_index, header) = lines.next().unwrap_or((index + 1, ""));
        let Some(section_name) = header.strip_prefix("MSG: ").map(str::trim) else {
            return Err(Error::Parse {
                path: origin.to_path_buf(),
                line: header_index + 1,
                message: "expected `MSG: pkg/Type` after the separator line".into(),
            });
        };
        let finished = std::mem::replace(
            &mut current,
            (section_name.to_owned(), header_index + 2, Vec::new()),
        );
        sections.entry(finished.0).or_insert((finished.2.join("\n"), finished.1));
    }
    sections.entry(current.0).or_insert((current.2.join("\n"), current.1));
    Ok(sections)
}
