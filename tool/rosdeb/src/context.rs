//! Turning the environment and global flags into a search path, cache location and options.

use std::path::PathBuf;

use rospkg::crawl::{CrawlOptions, SearchPath};
use rospkg::environment::Environment;
use rospkg::rospack::Options;

/// Setting this to `1` disables the index cache.
pub const NO_CACHE_ENV: &str = "ROSDEB_NO_CACHE";

/// Where and how to look for packages.
#[derive(Debug, Clone)]
pub struct Context {
    /// The process environment.
    pub env: Environment,
    /// The search path.
    pub search: SearchPath,
    /// The index cache folder, if caching.
    pub cache_dir: Option<PathBuf>,
}

impl Context {
    /// From the environment: `ROS_PACKAGE_PATH` (or `paths`), Debian's `/usr/share` (or
    /// `usr_share`), cache under `$ROS_HOME/rosdeb/index` unless disabled.
    pub fn new(paths: Option<Vec<PathBuf>>, usr_share: Option<bool>, no_cache: bool) -> Self {
        Self::from_env(Environment::from_process(), paths, usr_share, no_cache)
    }

    /// The same from an explicit environment (a daemon client's).
    pub fn from_env(
        env: Environment,
        paths: Option<Vec<PathBuf>>,
        usr_share: Option<bool>,
        no_cache: bool,
    ) -> Self {
        let mut search = SearchPath::from_env(&env);
        if let Some(paths) = paths {
            search.entries = paths;
        }
        if let Some(on) = usr_share {
            search.usr_share = on;
        }
        let home = env.ros_home();
        let cache_dir =
            (!no_cache && env.get(NO_CACHE_ENV) != Some("1") && !home.as_os_str().is_empty())
                .then(|| home.join("rosdeb").join("index"));
        Context { env, search, cache_dir }
    }

    /// Catalog options with this context's cache.
    pub fn options(&self, crawl: CrawlOptions) -> Options {
        Options { crawl, cache_dir: self.cache_dir.clone(), ..Options::default() }
    }
}
