//! Rule 3: no import cycle between files (Tarjan's strongly connected
//! groups, each shown as a path around it).

use super::*;

#[test]
fn no_cycle_between_files() {
    let sources = sources();
    let tree = Tree::new(&sources);
    let mut graph: BTreeMap<Vec<String>, BTreeMap<Vec<String>, usize>> = BTreeMap::new();
    for source in sources.iter().filter(|s| !s.is_test && s.name != "main.rs") {
        let edges = graph.entry(source.module.clone()).or_default();
        for (n, target) in uses(source, &tree) {
            if !nested(&source.module, &target) {
                edges.entry(target).or_insert(n);
            }
        }
    }
    let cycles = cycles(&graph);
    let name = |m: &Vec<String>| tree.by_module.get(m).map_or("?".into(), |s| s.name.clone());
    let shown: Vec<String> = cycles
        .iter()
        .map(|cycle| {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| format!("src/{}:{}", name(&w[0]), graph[&w[0]][&w[1]]))
                .collect();
            format!("{} → back", steps.join(" → "))
        })
        .collect();
    assert!(
        shown.is_empty(),
        "files that reach themselves (each step: the file and the line of its use):\n{}",
        shown.join("\n")
    );
}

/// A module and its own parent: the parent declares and re-exports the
/// child, the child uses the parent's shared items (as `super::` does).
/// Such a pair is one unit; every other pair of files must not meet in a
/// cycle.
fn nested(a: &[String], b: &[String]) -> bool {
    let parent_of = |x: &[String], y: &[String]| y.len() == x.len() + 1 && y.starts_with(x);
    parent_of(a, b) || parent_of(b, a)
}

/// One cycle per strongly connected group of files (Tarjan), each as
/// the path around it, ending where it began.
fn cycles(graph: &BTreeMap<Vec<String>, BTreeMap<Vec<String>, usize>>) -> Vec<Vec<Vec<String>>> {
    type Node = Vec<String>;
    struct Walk<'g> {
        graph: &'g BTreeMap<Node, BTreeMap<Node, usize>>,
        index: BTreeMap<Node, usize>,
        low: BTreeMap<Node, usize>,
        stack: Vec<Node>,
        groups: Vec<Vec<Node>>,
    }
    impl Walk<'_> {
        fn visit(&mut self, v: &Node) {
            let i = self.index.len();
            self.index.insert(v.clone(), i);
            self.low.insert(v.clone(), i);
            self.stack.push(v.clone());
            for w in self.graph.get(v).into_iter().flat_map(|e| e.keys()) {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v.clone(), low);
                } else if self.stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v.clone(), low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    let done = &w == v;
                    group.push(w);
                    if done {
                        break;
                    }
                }
                if group.len() > 1 {
                    self.groups.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        groups: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.groups
        .iter()
        .map(|group| path_around(graph, group))
        .collect()
}

/// A path from the group's first file back to itself, inside the group.
fn path_around(
    graph: &BTreeMap<Vec<String>, BTreeMap<Vec<String>, usize>>,
    group: &[Vec<String>],
) -> Vec<Vec<String>> {
    let start = &group[0];
    let mut came_from: BTreeMap<&Vec<String>, &Vec<String>> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for w in graph[v].keys().filter(|w| group.contains(w)) {
            if w == start {
                let mut path = vec![start.clone(), v.clone()];
                let mut at = v;
                while at != start {
                    at = came_from[at];
                    path.push(at.clone());
                }
                path.reverse();
                return path;
            }
            if !came_from.contains_key(w) {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    vec![start.clone(), start.clone()]
}

#[test]
fn a_cycle_is_found_once() {
    let g: BTreeMap<Vec<String>, BTreeMap<Vec<String>, usize>> = BTreeMap::from([
        (vec!["a".into()], BTreeMap::from([(vec!["b".into()], 1)])),
        (vec!["b".into()], BTreeMap::from([(vec!["a".into()], 2)])),
        (vec!["c".into()], BTreeMap::from([(vec!["a".into()], 3)])),
    ]);
    assert_eq!(cycles(&g).len(), 1);
}
