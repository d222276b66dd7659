//! The serde form of the repository sections: flat structs (`type`, `url`, `version`, then the
//! section's own fields), the shape `rosdeb distro show --json` prints, written without
//! `#[serde(flatten)]` so that non-self-describing formats (the parse-result cache) read it too.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::{DocRepository, ReleaseRepository, RepositorySpec, SourceRepository};

#[derive(Serialize, Deserialize)]
pub(super) struct ReleaseRepr {
    #[serde(rename = "type")]
    kind: String,
    url: String,
    version: Option<String>,
    tags: IndexMap<String, String>,
    packages: Vec<String>,
}

impl From<ReleaseRepository> for ReleaseRepr {
    fn from(r: ReleaseRepository) -> Self {
        let RepositorySpec { kind, url, version } = r.spec;
        ReleaseRepr { kind, url, version, tags: r.tags, packages: r.packages }
    }
}

impl From<ReleaseRepr> for ReleaseRepository {
    fn from(r: ReleaseRepr) -> Self {
        let spec = RepositorySpec { kind: r.kind, url: r.url, version: r.version };
        ReleaseRepository { spec, tags: r.tags, packages: r.packages }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct SourceRepr {
    #[serde(rename = "type")]
    kind: String,
    url: String,
    version: Option<String>,
    test_commits: Option<bool>,
    test_pull_requests: Option<bool>,
    test_abi: Option<bool>,
}

impl From<SourceRepository> for SourceRepr {
    fn from(r: SourceRepository) -> Self {
        let RepositorySpec { kind, url, version } = r.spec;
        SourceRepr {
            kind,
            url,
            version,
            test_commits: r.test_commits,
            test_pull_requests: r.test_pull_requests,
            test_abi: r.test_abi,
        }
    }
}

impl From<SourceRepr> for SourceRepository {
    fn from(r: SourceRepr) -> Self {
        SourceRepository {
            spec: RepositorySpec { kind: r.kind, url: r.url, version: r.version },
            test_commits: r.test_commits,
            test_pull_requests: r.test_pull_requests,
            test_abi: r.test_abi,
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct DocRepr {
    #[serde(rename = "type")]
    kind: String,
    url: String,
    version: Option<String>,
    blacklist_packages: Vec<String>,
    depends: Vec<String>,
}

impl From<DocRepository> for DocRepr {
    fn from(r: DocRepository) -> Self {
        let RepositorySpec { kind, url, version } = r.spec;
        DocRepr { kind, url, version, blacklist_packages: r.blacklist_packages, depends: r.depends }
    }
}

impl From<DocRepr> for DocRepository {
    fn from(r: DocRepr) -> Self {
        DocRepository {
            spec: RepositorySpec { kind: r.kind, url: r.url, version: r.version },
            blacklist_packages: r.blacklist_packages,
            depends: r.depends,
        }
    }
}
