//! The inventory's dependency graph by package index.

use std::collections::HashMap;

use chainward_types::Package;

/// Edges by index into the inventory's packages, each list in package order.
#[derive(Debug)]
pub(crate) struct Graph {
    /// For each package, the packages it depends on.
    pub(crate) deps: Vec<Vec<usize>>,
    /// The packages the project depends on directly.
    pub(crate) direct: Vec<usize>,
}

impl Graph {
    /// Resolves each package's `dependencies` (purls). A purl that several packages share
    /// (path or workspace packages with the same name and version) is an edge to each of
    /// them: the inventory cannot tell which one was meant.
    pub(crate) fn new(packages: &[Package]) -> Self {
        let mut by_purl: HashMap<&str, Vec<usize>> = HashMap::with_capacity(packages.len());
        for (i, p) in packages.iter().enumerate() {
            by_purl.entry(p.purl.as_str()).or_default().push(i);
        }
        let deps = packages
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut out: Vec<usize> = p
                    .dependencies
                    .iter()
                    .filter_map(|d| by_purl.get(d.as_str()))
                    .flatten()
                    .copied()
                    .filter(|&j| j != i)
                    .collect();
                out.sort_unstable();
                out.dedup();
                out
            })
            .collect();
        let direct = packages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.direct)
            .map(|(i, _)| i)
            .collect();
        Self { deps, direct }
    }
}
