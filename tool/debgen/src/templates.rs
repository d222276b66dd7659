//! The `debian/` templates of the repository's `templates/` folder, embedded at build time, and
//! template sets that layer a user's directory over them (`--templates DIR`).

use std::collections::BTreeMap;

/// Every embedded template: its name (the path under `templates/`) and its text.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("changelog.j2", include_str!("../../../templates/changelog.j2")),
    ("control.j2", include_str!("../../../templates/control.j2")),
    ("copyright.j2", include_str!("../../../templates/copyright.j2")),
    ("lintian-overrides.j2", include_str!("../../../templates/lintian-overrides.j2")),
    ("rules/ament_cmake.j2", include_str!("../../../templates/rules/ament_cmake.j2")),
    ("rules/ament_python.j2", include_str!("../../../templates/rules/ament_python.j2")),
    ("rules/cargo.j2", include_str!("../../../templates/rules/cargo.j2")),
    ("rules/catkin.j2", include_str!("../../../templates/rules/catkin.j2")),
    ("rules/cmake.j2", include_str!("../../../templates/rules/cmake.j2")),
    ("rules/none.j2", include_str!("../../../templates/rules/none.j2")),
    ("source/format.j2", include_str!("../../../templates/source/format.j2")),
    ("source/options.j2", include_str!("../../../templates/source/options.j2")),
];

/// A set of templates: the embedded ones, some of them replaced by the user's files.
#[derive(Debug, Clone)]
pub struct Templates {
    texts: BTreeMap<String, String>,
    overridden: Vec<String>,
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            texts: EMBEDDED.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect(),
            overridden: Vec::new(),
        }
    }
}

impl Templates {
    /// Replaces the template `name` with `text`; `false` when no template has that name.
    pub fn set(&mut self, name: &str, text: String) -> bool {
        match self.texts.get_mut(name) {
            Some(slot) => {
                *slot = text;
                self.overridden.push(name.to_owned());
                true
            }
            None => false,
        }
    }

    /// The text of template `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.texts.get(name).map(String::as_str)
    }

    /// The names of the templates replaced by [`Templates::set`], in the order they were set.
    pub fn overridden(&self) -> &[String] {
        &self.overridden
    }

    /// Every template name, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.texts.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests;
