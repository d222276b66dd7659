//! Unit tests for the dependency graph.

use super::*;

/// Builds a graph from `name: dep dep` lines.
fn graph(spec: &str) -> Graph {
    let lines: Vec<(&str, Vec<&str>)> = spec
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (name, deps) = l.split_once(':').unwrap_or((l, ""));
            (name.trim(), deps.split_whitespace().collect())
        })
        .collect();
    let names: Vec<String> = lines.iter().map(|(n, _)| (*n).to_owned()).collect();
    let index =
        |n: &str| names.iter().position(|x| x == n).map(|i| i as NodeId).expect("known node");
    let edges = lines.iter().map(|(_, deps)| deps.iter().map(|d| index(d)).collect()).collect();
    Graph::new(names.clone(), edges)
}

fn names(g: &Graph, nodes: &[NodeId]) -> String {
    g.names_of(nodes).join(" ")
}

const ROSPACK_TEST: &str = "
base:
base_two:
deps: base base_two
deps_higher: deps
deps_dup: base deps_higher
plugins: base
";

#[test]
fn depends_is_rospack_post_order() {
    let g = graph(ROSPACK_TEST);
    let d = |n: &str| names(&g, &g.depends(g.id(n).expect("node")).expect("no cycle"));
    assert_eq!(d("deps"), "base base_two");
    assert_eq!(d("deps_dup"), "base base_two deps deps_higher");
    assert_eq!(d("base"), "");
}

#[test]
fn depends_on_is_transitive_and_sorted() {
    let g = graph(ROSPACK_TEST);
    let base = g.id("base").expect("node");
    assert_eq!(names(&g, &g.depends_on(base)), "deps deps_dup deps_higher plugins");
    assert_eq!(names(&g, &g.direct_dependents(base)), "deps deps_dup plugins");
}

#[test]
fn chains_lists_every_path() {
    let g = graph(ROSPACK_TEST);
    let chains = g.chains(g.id("deps_dup").expect("node"), g.id("base").expect("node"), 100);
    let shown: Vec<String> = chains.iter().map(|c| names(&g, c)).collect();
    assert_eq!(shown, ["deps_dup base", "deps_dup deps_higher deps base"]);
}

#[test]
fn tree_repeats_subtrees() {
    let g = graph("a: b c\nb: d\nc: d\nd:");
    let tree = g.tree(g.id("a").expect("node")).expect("no cycle");
    let shown: Vec<String> =
        tree.iter().map(|(depth, n)| format!("{}{}", "  ".repeat(*depth), g.name(*n))).collect();
    assert_eq!(shown, ["b", "  d", "c", "  d"]);
}

#[test]
fn cycles_are_reported_once_with_all_members() {
    let g = graph("x: c1\nc1: c2\nc2: c3\nc3: c1\nself: self\nok:");
    let cycles: Vec<String> = g.cycles().iter().map(|c| names(&g, c)).collect();
    assert_eq!(cycles, ["c1 c2 c3", "self"]);
    let err = g.depends(g.id("x").expect("node")).expect_err("cycle");
    assert_eq!(names(&g, &err.members), "c1 c2 c3");
    let err = g.depends(g.id("c2").expect("node")).expect_err("cycle");
    assert_eq!(names(&g, &err.members), "c2 c3 c1");
    // Reverse queries still work with a cycle in the graph.
    assert_eq!(names(&g, &g.depends_on(g.id("c3").expect("node"))), "c1 c2 x");
}

#[test]
fn long_chains_do_not_overflow_the_stack() {
    let n = 100_000;
    let names: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
    let edges = (0..n).map(|i| if i + 1 < n { vec![(i + 1) as NodeId] } else { vec![] }).collect();
    let g = Graph::new(names, edges);
    assert_eq!(g.depends(0).expect("no cycle").len(), n - 1);
    assert_eq!(g.depends_on((n - 1) as NodeId).len(), n - 1);
    assert!(g.cycles().is_empty());
}

#[test]
fn build_order_puts_dependencies_first_and_levels_count_the_deepest_chain() {
    let g = graph("app: lib util\nlib: base\nutil:\nbase:\nx: c1\nc1: c2\nc2: c1\nok:");
    let built = g.build_order();
    // Ready nodes are taken smallest id first: util (2) before base (3).
    assert_eq!(names(&g, &built.order), "util base lib app ok");
    let level = |n: &str| built.level[g.id(n).expect("node") as usize];
    assert_eq!(
        ["app", "lib", "util", "base", "ok"].map(level),
        [Some(2), Some(1), Some(0), Some(0), Some(0)]
    );
    // In a cycle or behind one: no order, no level.
    assert_eq!(["x", "c1", "c2"].map(level), [None, None, None]);
}

#[test]
fn build_order_of_a_long_chain_is_linear() {
    let n = 100_000;
    let names: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
    let edges = (0..n).map(|i| if i + 1 < n { vec![(i + 1) as NodeId] } else { vec![] }).collect();
    let g = Graph::new(names, edges);
    let built = g.build_order();
    assert_eq!(built.order.first(), Some(&((n - 1) as NodeId)));
    assert_eq!(built.level[0], Some((n - 1) as u32));
}
