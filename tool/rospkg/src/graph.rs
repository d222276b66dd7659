//! The dependency graph: interned names, closures, reverse dependencies, chains, cycles and the
//! build order with levels.
//!
//! Every query is linear in the edges it can reach (rospack's own traversal walks every
//! dependency *path*, which is exponential on dense graphs). Orders are defined and stable:
//! [`Graph::depends`] is rospack's post-order (dependencies before dependents, first occurrence
//! kept, direct dependencies in declaration order); reverse queries come back sorted by name.

use std::collections::HashMap;

/// Index of a node in a [`Graph`].
pub type NodeId = u32;

/// A directed dependency graph over named nodes.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    names: Vec<String>,
    by_name: HashMap<String, NodeId>,
    edges: Vec<Vec<NodeId>>,
    reverse: Vec<Vec<NodeId>>,
}

/// [`Graph::build_order`]: the order and the levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOrder {
    /// Every node not in or behind a cycle, dependencies first.
    pub order: Vec<NodeId>,
    /// Each node's level (index = [`NodeId`]); `None` in or behind a cycle.
    pub level: Vec<Option<u32>>,
}

/// A dependency cycle, members in the order the cycle is walked starting where it was entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// The members (one member means the node depends on itself).
    pub members: Vec<NodeId>,
}

impl Graph {
    /// A graph of `names` (index = [`NodeId`]) with `edges[i]` the direct dependencies of node i,
    /// in declaration order (duplicates removed, first kept).
    pub fn new(names: Vec<String>, edges: Vec<Vec<NodeId>>) -> Self {
        let by_name = names.iter().enumerate().map(|(i, n)| (n.clone(), id(i))).collect();
        let mut reverse = vec![Vec::new(); names.len()];
        let mut edges: Vec<Vec<NodeId>> = edges;
        edges.resize(names.len(), Vec::new());
        for (from, deps) in edges.iter_mut().enumerate() {
            let mut seen = std::collections::HashSet::new();
            deps.retain(|d| (*d as usize) < names.len() && seen.insert(*d));
            for &d in deps.iter() {
                reverse[d as usize].push(id(from));
            }
        }
        Graph { names, by_name, edges, reverse }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when the graph has no node.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The node called `name`.
    pub fn id(&self, name: &str) -> Option<NodeId> {
        self.by_name.get(name).copied()
    }

    /// The name of `node`.
    pub fn name(&self, node: NodeId) -> &str {
        &self.names[node as usize]
    }

    /// Names of several nodes.
    pub fn names_of(&self, nodes: &[NodeId]) -> Vec<&str> {
        nodes.iter().map(|&n| self.name(n)).collect()
    }

    /// Direct dependencies of `node`, declaration order.
    pub fn direct(&self, node: NodeId) -> &[NodeId] {
        &self.edges[node as usize]
    }

    /// Direct dependents of `node`, sorted by name.
    pub fn direct_dependents(&self, node: NodeId) -> Vec<NodeId> {
        let mut out = self.reverse[node as usize].clone();
        self.sort_by_name(&mut out);
        out
    }

    /// Every transitive dependency of `node` in rospack's post-order (a dependency comes before
    /// the packages that need it; first occurrence kept), or the first cycle met on the way.
    pub fn depends(&self, node: NodeId) -> Result<Vec<NodeId>, Cycle> {
        // Iterative DFS: (node, next edge index). `state`: 0 new, 1 on stack, 2 done.
        let mut state = vec![0u8; self.len()];
        let mut order = Vec::new();
        let mut stack: Vec<(NodeId, usize)> = vec![(node, 0)];
        state[node as usize] = 1;
        while let Some(&mut (current, ref mut next)) = stack.last_mut() {
            let deps = self.direct(current);
            if let Some(&dep) = deps.get(*next) {
                *next += 1;
                match state[dep as usize] {
                    0 => {
                        state[dep as usize] = 1;
                        stack.push((dep, 0));
                    }
                    1 => {
                        let start = stack.iter().position(|&(n, _)| n == dep).unwrap_or(0);
                        return Err(Cycle {
                            members: stack[start..].iter().map(|&(n, _)| n).collect(),
                        });
                    }
                    _ => {}
                }
            } else {
                stack.pop();
                state[current as usize] = 2;
                if current != node {
                    order.push(current);
                }
            }
        }
        Ok(order)
    }

    /// Every package that depends on `node`, directly or not, sorted by name. Cycles elsewhere in
    /// the graph do not matter (rospack fails here when any cycle exists on the path).
    pub fn depends_on(&self, node: NodeId) -> Vec<NodeId> {
        let mut seen = vec![false; self.len()];
        let mut queue = vec![node];
        let mut out = Vec::new();
        while let Some(n) = queue.pop() {
            for &r in &self.reverse[n as usize] {
                if !seen[r as usize] {
                    seen[r as usize] = true;
                    if r != node {
                        out.push(r);
                    }
                    queue.push(r);
                }
            }
        }
        self.sort_by_name(&mut out);
        out
    }

    /// Every dependency chain from `from` to `to` (depends-why), in depth-first declaration order.
    /// Paths through a cycle are cut at the repeated node. At most `limit` chains.
    pub fn chains(&self, from: NodeId, to: NodeId, limit: usize) -> Vec<Vec<NodeId>> {
        // Only walk nodes that can reach `to`.
        let reaches = self.reaching(to);
        let mut out = Vec::new();
        let mut path = vec![from];
        let mut on_path = vec![false; self.len()];
        on_path[from as usize] = true;
        self.chains_from(from, to, &reaches, &mut path, &mut on_path, &mut out, limit);
        out
    }

    #[allow(clippy::too_many_arguments)] // recursive helper; the arguments are its state
    fn chains_from(
        &self,
        node: NodeId,
        to: NodeId,
        reaches: &[bool],
        path: &mut Vec<NodeId>,
        on_path: &mut [bool],
        out: &mut Vec<Vec<NodeId>>,
        limit: usize,
    ) {
        for &dep in self.direct(node) {
            if out.len() >= limit {
                return;
            }
            if dep == to {
                let mut chain = path.clone();
                chain.push(to);
                out.push(chain);
            } else if reaches[dep as usize] && !on_path[dep as usize] {
                on_path[dep as usize] = true;
                path.push(dep);
                self.chains_from(dep, to, reaches, path, on_path, out, limit);
                path.pop();
                on_path[dep as usize] = false;
            }
        }
    }

    /// `reaching(to)[n]` is true when `n` depends on `to`, directly or not.
    fn reaching(&self, to: NodeId) -> Vec<bool> {
        let mut seen = vec![false; self.len()];
        for n in self.depends_on(to) {
            seen[n as usize] = true;
        }
        seen
    }

    /// The full dependency tree of `node` as (depth, node) lines, subtrees repeated each time
    /// they occur (rospack's depends-indent), or the first cycle.
    pub fn tree(&self, node: NodeId) -> Result<Vec<(usize, NodeId)>, Cycle> {
        self.depends(node)?;
        let mut out = Vec::new();
        let mut stack: Vec<(NodeId, usize)> =
            self.direct(node).iter().rev().map(|&d| (d, 0)).collect();
        while let Some((n, depth)) = stack.pop() {
            out.push((depth, n));
            stack.extend(self.direct(n).iter().rev().map(|&d| (d, depth + 1)));
        }
        Ok(out)
    }

    /// Every dependency cycle in the graph (strongly connected components with more than one
    /// member, and self-dependencies), each reported once, members sorted by name.
    pub fn cycles(&self) -> Vec<Vec<NodeId>> {
        let mut cycles: Vec<Vec<NodeId>> = tarjan(self)
            .into_iter()
            .filter(|c| c.len() > 1 || self.direct(c[0]).contains(&c[0]))
            .map(|mut c| {
                self.sort_by_name(&mut c);
                c
            })
            .collect();
        cycles.sort_by(|a, b| self.name(a[0]).cmp(self.name(b[0])));
        cycles
    }

    /// The nodes in build order (Kahn's algorithm): every node after its dependencies, the
    /// smallest ready id first; and each node's level: 0 without dependencies, else one more
    /// than its deepest dependency. Nodes in a cycle or depending on one are not in the order
    /// and have no level.
    pub fn build_order(&self) -> BuildOrder {
        use std::cmp::Reverse;
        let n = self.len();
        let mut waiting: Vec<usize> = self.edges.iter().map(Vec::len).collect();
        let mut ready: std::collections::BinaryHeap<Reverse<NodeId>> =
            (0..n).filter(|&i| waiting[i] == 0).map(|i| Reverse(id(i))).collect();
        let mut order = Vec::with_capacity(n);
        let mut level: Vec<Option<u32>> = vec![None; n];
        while let Some(Reverse(node)) = ready.pop() {
            let depth = self.direct(node).iter().filter_map(|&d| level[d as usize]).max();
            level[node as usize] = Some(depth.map_or(0, |d| d + 1));
            order.push(node);
            for &dependent in &self.reverse[node as usize] {
                waiting[dependent as usize] -= 1;
                if waiting[dependent as usize] == 0 {
                    ready.push(Reverse(dependent));
                }
            }
        }
        BuildOrder { order, level }
    }

    /// Sorts nodes by name.
    pub fn sort_by_name(&self, nodes: &mut [NodeId]) {
        nodes.sort_by(|a, b| self.name(*a).cmp(self.name(*b)));
    }
}

fn id(i: usize) -> NodeId {
    NodeId::try_from(i).unwrap_or(NodeId::MAX)
}

/// Tarjan's strongly connected components, iterative.
fn tarjan(graph: &Graph) -> Vec<Vec<NodeId>> {
    const UNSEEN: u32 = u32::MAX;
    let n = graph.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next_index = 0u32;
    let mut out = Vec::new();
    for start in 0..n {
        if index[start] != UNSEEN {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(start, 0)];
        while let Some(&mut (v, ref mut edge)) = work.last_mut() {
            if *edge == 0 && index[v] == UNSEEN {
                index[v] = next_index;
                low[v] = next_index;
                next_index += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            let deps = graph.direct(id(v));
            if let Some(&w) = deps.get(*edge) {
                *edge += 1;
                let w = w as usize;
                if index[w] == UNSEEN {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut component = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        component.push(id(w));
                        if w == v {
                            break;
                        }
                    }
                    out.push(component);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
