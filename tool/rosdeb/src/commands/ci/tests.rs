//! Unit tests of `ci generate`: the checks at the plan's entry, grouping into jobs, quoting.

use super::plan::{Pipeline, package_name, shell_value, split_target};
use crate::json::{PlanNode, PlanSource, ReleasePlan};

fn node(package: &str, target: &str, level: u32, depends: &[&str]) -> PlanNode {
    PlanNode {
        id: format!("{package}@{target}"),
        package: package.to_owned(),
        repository: package.to_owned(),
        version: "1.0.0-1".to_owned(),
        target: target.to_owned(),
        debian_package: format!("ros-noetic-{package}"),
        source: Some(PlanSource {
            kind: "sources".to_owned(),
            location: format!("src/{package}"),
            reference: None,
            tree: None,
        }),
        hash: Some("0".repeat(64)),
        level,
        depends: depends.iter().map(|d| format!("{d}@{target}")).collect(),
    }
}

/// a; b, c on a; d on b and c, for two targets.
fn diamond() -> ReleasePlan {
    let targets = ["ubuntu:focal", "debian:bookworm"];
    let mut nodes = Vec::new();
    for t in targets {
        nodes.push(node("a", t, 0, &[]));
        nodes.push(node("b", t, 1, &["a"]));
        nodes.push(node("c", t, 1, &["a"]));
        nodes.push(node("d", t, 2, &["b", "c"]));
    }
    ReleasePlan {
        schema: crate::json::SCHEMA,
        distro: "noetic".to_owned(),
        distro_file: Some("noetic/distribution.yaml".to_owned()),
        rosdep: vec!["base.yaml".to_owned()],
        sources: vec!["src".to_owned()],
        targets: targets.map(str::to_owned).to_vec(),
        nodes,
        levels: 3,
        critical_path: vec![
            "a@ubuntu:focal".into(),
            "b@ubuntu:focal".into(),
            "d@ubuntu:focal".into(),
        ],
        unknown: Vec::new(),
    }
}

#[test]
fn jobs_group_one_target_and_level_and_need_their_dependencies_jobs() {
    let p = Pipeline::from_plan(&diamond(), 2).unwrap();
    let ids: Vec<&str> = p.jobs.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "build-ubuntu-focal-l0-b0",
            "build-debian-bookworm-l0-b0",
            "build-ubuntu-focal-l1-b0",
            "build-debian-bookworm-l1-b0",
            "build-ubuntu-focal-l2-b0",
            "build-debian-bookworm-l2-b0",
        ]
    );
    assert_eq!(p.jobs[2].packages, ["b", "c"]);
    assert_eq!(p.jobs[2].needs, [0]);
    // d needs b and c, both in one job: listed once.
    assert_eq!(p.jobs[4].needs, [2]);
    assert_eq!(p.jobs[5].needs, [3]);
    assert_eq!((p.levels, p.critical_path, p.nodes, p.unknown), (3, 3, 8, 0));
    assert_eq!(p.codenames, ["focal", "bookworm"]);
    let p = Pipeline::from_plan(&diamond(), 1).unwrap();
    assert_eq!(p.jobs.len(), 8);
    assert_eq!(p.jobs[6].needs, [2, 3], "d@focal needs the jobs of b@focal and c@focal");
}

#[test]
fn the_command_is_the_plan_in_shell_words() {
    let mut plan = diamond();
    plan.sources = vec!["my src".to_owned()];
    let p = Pipeline::from_plan(&plan, 1).unwrap();
    let command = p.jobs[0].command(&p.common);
    assert_eq!(
        command,
        "rosdeb release --distro noetic --distro-file noetic/distribution.yaml --rosdep \
         base.yaml --sources 'my src' --os ubuntu:focal --no-deps --no-publish --work \
         rosdeb-work a"
    );
}

#[test]
fn values_reaching_a_shell_are_checked() {
    for bad in
        ["", "-x", "a\nb", "a'b", "a\"b", "a`b`", "$(id)", "${{ secrets.X }}", "a\\b", "a\0b"]
    {
        assert!(shell_value(bad).is_err(), "{bad:?}");
    }
    for good in ["src", "../a b/c", "https://example.org/x.yaml?a=b&c=d", "file:///x"] {
        assert!(shell_value(good).is_ok(), "{good:?}");
    }
    for bad in ["ubuntu", "ubuntu:", ":focal", "Ubuntu:focal", "ubuntu:focal:x", "ubuntu:fo-cal"] {
        assert!(split_target(bad).is_err(), "{bad:?}");
    }
    assert_eq!(split_target("ubuntu:focal"), Ok(("ubuntu", "focal")));
    // noetic releases packages with dashes (catkin_pkg warns); a leading one is an option.
    for good in ["std_msgs", "hpp-fcl", "paho-mqtt-c", "a1"] {
        assert!(package_name(good).is_ok(), "{good:?}");
    }
    for bad in ["-rf", "_a", "1a", "Std_msgs", "a b", "a;b", "a.b", ""] {
        assert!(package_name(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn every_problem_is_reported_with_its_node() {
    let mut plan = diamond();
    plan.nodes[0].package = "A".to_owned();
    plan.nodes[0].id = "A@ubuntu:focal".to_owned();
    plan.nodes[3].level = 7;
    plan.sources.push("$HOME".to_owned());
    let problems = Pipeline::from_plan(&plan, 1).unwrap_err();
    assert_eq!(problems.len(), 5, "{problems:#?}");
    assert!(problems[0].starts_with("sources[1] `$HOME`"), "{problems:#?}");
    assert!(problems[1].starts_with("node `A@ubuntu:focal`: package name `A`"));
    // b depends on the refused node: reported too, never used.
    assert!(problems[2].starts_with("node `b@ubuntu:focal`: depends on `a@ubuntu:focal`"));
    assert!(problems[3].starts_with("node `c@ubuntu:focal`: depends on `a@ubuntu:focal`"));
    assert!(problems[4].starts_with("node `d@ubuntu:focal`: level 7 where"));
}

#[test]
fn only_codenames_with_nodes_are_published() {
    // A target without nodes has no debs: `apt publish` of an empty glob would fail the job.
    let mut plan = diamond();
    plan.targets.push("ubuntu:jammy".to_owned());
    let p = Pipeline::from_plan(&plan, 1).unwrap();
    assert_eq!(p.codenames, ["focal", "bookworm"]);
    assert_eq!(super::plan::publish_commands(&p.codenames).len(), 2);
}
