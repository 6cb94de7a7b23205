use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::{Lockfile, Origin, Package};

/// What happened to one input file or installed tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceStatus {
    /// Read completely.
    Ok,
    /// Read, but some entries could not be (see the source's warnings): incomplete.
    Partial,
    /// Could not be read or parsed: incomplete.
    Failed,
    /// Recognised as a lockfile of a kind chainward does not read: incomplete.
    Unsupported,
    /// Deliberately not read, with the reason (e.g. `package-lock.json` beside an
    /// `npm-shrinkwrap.json`, which npm gives precedence).
    Skipped,
}

impl SourceStatus {
    /// The lowercase name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Partial => "partial",
            Self::Failed => "failed",
            Self::Unsupported => "unsupported",
            Self::Skipped => "skipped",
        }
    }

    /// True when the source's packages are not all known.
    pub fn is_incomplete(self) -> bool {
        matches!(self, Self::Partial | Self::Failed | Self::Unsupported)
    }
}

/// One input of an inventory: a lockfile, an installed tree, or an SBOM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The file or folder, relative to the scanned root where it was found by walking.
    pub path: String,
    /// The precise format (`npm-package-lock-v3`), or the kind when it was not read.
    pub format: String,
    /// What happened.
    pub status: SourceStatus,
    /// How many packages it gave (before merging with other sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packages: Option<usize>,
    /// Why it failed, or was skipped or unsupported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Entries that could not be read, each naming its place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Lesser losses that leave every package known (an unresolvable dependency edge).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Source {
    /// A source that was read; `Partial` when the lockfile carries warnings.
    pub fn read(path: impl Into<String>, lockfile: &Lockfile) -> Self {
        Self {
            path: path.into(),
            format: lockfile.format.clone(),
            status: if lockfile.warnings.is_empty() {
                SourceStatus::Ok
            } else {
                SourceStatus::Partial
            },
            packages: Some(lockfile.packages.len()),
            error: None,
            warnings: lockfile.warnings.clone(),
            notes: lockfile.notes.clone(),
        }
    }

    /// A source that was not read, with the reason.
    pub fn not_read(
        path: impl Into<String>,
        format: impl Into<String>,
        status: SourceStatus,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            format: format.into(),
            status,
            packages: None,
            error: Some(reason.into()),
            warnings: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// Every package of a project, merged across its sources.
///
/// The same package (ecosystem, name, version and origin) found in several places is one
/// entry with several locations: it is a production dependency if any occurrence is, direct
/// if any occurrence is, and carries every hash any source recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// Every input, in the order found.
    pub sources: Vec<Source>,
    /// Every package, sorted by ecosystem, name, version and origin.
    pub packages: Vec<Package>,
}

impl Inventory {
    /// True when any source is incomplete (failed, partial or unsupported).
    pub fn is_incomplete(&self) -> bool {
        self.sources.iter().any(|s| s.status.is_incomplete())
    }
}

/// Builds an [`Inventory`] from parsed lockfiles, merging equal packages.
#[derive(Debug, Default)]
pub struct InventoryBuilder {
    sources: Vec<Source>,
    packages: Vec<Package>,
    index: HashMap<Box<str>, usize, rustc_hash::FxBuildHasher>,
    /// Scratch buffer for merge keys.
    key: String,
    /// Edges as (from, to) global indexes; sorted and deduplicated by `finish`.
    edges: Vec<(usize, usize)>,
    /// For merged packages: whether every occurrence so far was bundled.
    bundled_all: Vec<bool>,
}

/// The merge identity of a package, written into `buf`: its purl without qualifiers when it
/// comes from its ecosystem's default registry (whatever download URL a lockfile recorded: a
/// pnpm lockfile records none, a package-lock the tarball URL), else the whole purl (whose
/// qualifiers name the registry, git commit or URL), and for paths the path too. The purl is
/// derived from the normalised (ecosystem, name, version), so equal keys are equal packages.
fn merge_key(p: &Package, buf: &mut String) {
    buf.clear();
    let base = p.purl.split_once('?').map_or(p.purl.as_str(), |(b, _)| b);
    match &p.origin {
        Origin::Registry { url: None } => buf.push_str(base),
        Origin::Registry { url: Some(_) } if !p.purl.contains("repository_url=") => {
            buf.push_str(base);
        }
        Origin::Registry { .. } | Origin::Git { .. } | Origin::Url { .. } => {
            buf.push_str(&p.purl);
        }
        Origin::Path { path } => {
            buf.push_str(base);
            buf.push_str("\0path:");
            buf.push_str(path);
        }
        Origin::Workspace { path } => {
            buf.push_str(base);
            buf.push_str("\0workspace:");
            buf.push_str(path);
        }
    }
}

impl InventoryBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a source that gave no packages (failed, skipped, unsupported).
    pub fn add_source(&mut self, source: Source) {
        self.sources.push(source);
    }

    /// Adds a parsed lockfile found at `path`.
    pub fn add_lockfile(&mut self, path: impl Into<String>, lockfile: Lockfile) {
        self.sources.push(Source::read(path, &lockfile));
        let mut local_to_global = Vec::with_capacity(lockfile.packages.len());
        // Packages are large: one move each into room made once, never a regrowth.
        self.packages.reserve(lockfile.packages.len());
        self.bundled_all.reserve(lockfile.packages.len());
        self.index.reserve(lockfile.packages.len());
        for mut pkg in lockfile.packages {
            // `Package::new` computes the purl; parsers that change the name, version or
            // origin afterwards call `refresh_purl` (the debug assertion checks that every
            // test input honours this, so release builds need not compute it twice).
            if pkg.purl.is_empty() {
                pkg.refresh_purl();
            } else {
                debug_assert_eq!(
                    pkg.purl,
                    crate::purl::for_package(pkg.ecosystem, &pkg.name, &pkg.version, &pkg.origin),
                    "stale purl from a parser: call refresh_purl after changing a package"
                );
            }
            merge_key(&pkg, &mut self.key);
            let idx = match self.index.get(self.key.as_str()) {
                Some(&idx) => {
                    merge_into(&mut self.packages[idx], pkg, &mut self.bundled_all[idx]);
                    idx
                }
                None => {
                    let idx = self.packages.len();
                    self.bundled_all.push(pkg.bundled);
                    self.packages.push(pkg);
                    self.index.insert(self.key.as_str().into(), idx);
                    idx
                }
            };
            local_to_global.push(idx);
        }
        for e in lockfile.edges {
            if let (Some(&f), Some(&t)) = (local_to_global.get(e.from), local_to_global.get(e.to))
                && f != t
            {
                self.edges.push((f, t));
            }
        }
    }

    /// The merged, sorted inventory.
    pub fn finish(self) -> Inventory {
        let Self {
            sources,
            mut packages,
            mut edges,
            bundled_all,
            ..
        } = self;
        edges.sort_unstable();
        edges.dedup();
        // Edges are sorted by `from`: each package's dependencies are one run of them.
        let mut run_start = 0;
        while run_start < edges.len() {
            let from = edges[run_start].0;
            let run_end = edges[run_start..]
                .iter()
                .position(|e| e.0 != from)
                .map_or(edges.len(), |n| run_start + n);
            let mut purls: Vec<&str> = edges[run_start..run_end]
                .iter()
                .map(|&(_, t)| packages[t].purl.as_str())
                .collect();
            purls.sort_unstable();
            purls.dedup();
            let purls: Vec<String> = purls.into_iter().map(str::to_owned).collect();
            packages[from].dependencies = purls;
            run_start = run_end;
        }
        for (i, p) in packages.iter_mut().enumerate() {
            p.bundled = bundled_all[i];
            p.locations.sort();
            p.locations.dedup();
            p.hashes.sort();
            p.hashes.dedup();
        }
        // Sort an index, then put each package in its place by swaps along the permutation's
        // cycles: packages are large to move around, and a second vector of them would be
        // fresh memory to fault in.
        let mut order: Vec<usize> = (0..packages.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&packages[a], &packages[b]);
            (a.ecosystem, &a.name, &a.version, &a.origin).cmp(&(
                b.ecosystem,
                &b.name,
                &b.version,
                &b.origin,
            ))
        });
        apply_order(&mut packages, &mut order);
        Inventory { sources, packages }
    }
}

/// Rearranges `items` so that the new `items[i]` is the old `items[order[i]]`; `order` must
/// be a permutation of the indexes, and is used up.
fn apply_order<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        // Follow the cycle through `start`, marking each visited position as done.
        let mut at = start;
        while order[at] != start {
            let from = order[at];
            items.swap(at, from);
            order[at] = at;
            at = from;
        }
        order[at] = at;
    }
}

fn merge_into(into: &mut Package, from: Package, bundled_all: &mut bool) {
    // Production wins (an unscoped occurrence makes the package unscoped); otherwise the
    // package carries every scope it was seen with: dev in one place and optional in another
    // is npm's `devOptional`, not production.
    if into.scopes.is_empty() || from.scopes.is_empty() {
        into.scopes.clear();
    } else {
        into.scopes.extend(from.scopes);
    }
    into.direct |= from.direct;
    *bundled_all &= from.bundled;
    for h in from.hashes {
        into.add_hash(h);
    }
    into.groups.extend(from.groups);
    into.locations.extend(from.locations);
    if into.constraint.is_none() {
        into.constraint = from.constraint;
    }
    if let (Origin::Registry { url: url @ None }, Origin::Registry { url: Some(u) }) =
        (&mut into.origin, &from.origin)
    {
        *url = Some(u.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Ecosystem, Edge, Location, Scope};

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        #[test]
        fn apply_order_puts_each_item_where_the_order_says(
            order in (0usize..40).prop_flat_map(|n| {
                proptest::strategy::Just((0..n).collect::<Vec<usize>>()).prop_shuffle()
            })
        ) {
            let items: Vec<String> = (0..order.len()).map(|i| format!("item{i}")).collect();
            let expected: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let mut got = items;
            let mut order = order;
            apply_order(&mut got, &mut order);
            proptest::prop_assert_eq!(got, expected);
        }
    }

    fn pkg(name: &str, version: &str, origin: Origin, scopes: &[Scope], file: &str) -> Package {
        let mut p = Package::new(Ecosystem::Npm, name, version, origin);
        p.scopes = scopes.iter().copied().collect();
        p.locations.push(Location::new(file, Some(1)));
        p
    }

    #[test]
    fn merges_same_package_across_files_production_wins() {
        let mut b = InventoryBuilder::new();
        let url = Origin::Registry {
            url: Some("https://registry.npmjs.org/a/-/a-1.0.0.tgz".into()),
        };
        b.add_lockfile(
            "x/package-lock.json",
            Lockfile {
                format: "npm-package-lock-v3".into(),
                packages: vec![pkg("a", "1.0.0", url, &[Scope::Dev], "x/package-lock.json")],
                ..Lockfile::default()
            },
        );
        b.add_lockfile(
            "y/pnpm-lock.yaml",
            Lockfile {
                format: "pnpm-v9".into(),
                packages: vec![pkg(
                    "a",
                    "1.0.0",
                    Origin::registry(),
                    &[],
                    "y/pnpm-lock.yaml",
                )],
                ..Lockfile::default()
            },
        );
        let inv = b.finish();
        assert_eq!(inv.packages.len(), 1);
        assert!(inv.packages[0].scopes.is_empty());
        assert_eq!(inv.packages[0].locations.len(), 2);
        assert!(matches!(
            &inv.packages[0].origin,
            Origin::Registry { url: Some(_) }
        ));
    }

    #[test]
    fn dev_in_one_place_and_optional_in_another_is_dev_optional() {
        let mut b = InventoryBuilder::new();
        b.add_lockfile(
            "p",
            Lockfile {
                format: "f".into(),
                packages: vec![
                    pkg("a", "1.0.0", Origin::registry(), &[Scope::Dev], "p"),
                    pkg("a", "1.0.0", Origin::registry(), &[Scope::Optional], "p"),
                ],
                ..Lockfile::default()
            },
        );
        let inv = b.finish();
        assert_eq!(
            inv.packages[0].scopes,
            [Scope::Dev, Scope::Optional].into_iter().collect()
        );
    }

    #[test]
    fn keeps_other_origins_apart_and_maps_edges_to_purls() {
        let mut b = InventoryBuilder::new();
        let git = Origin::Git {
            url: "https://github.com/o/a".into(),
            commit: Some("abc".into()),
            reference: None,
        };
        b.add_lockfile(
            "p",
            Lockfile {
                format: "f".into(),
                packages: vec![
                    pkg("a", "1.0.0", Origin::registry(), &[], "p"),
                    pkg("a", "1.0.0", git, &[], "p"),
                    pkg("b", "2.0.0", Origin::registry(), &[], "p"),
                ],
                edges: vec![Edge { from: 2, to: 1 }],
                warnings: vec![],
                notes: vec![],
            },
        );
        let inv = b.finish();
        assert_eq!(inv.packages.len(), 3);
        let b_pkg = inv.packages.iter().find(|p| p.name == "b").unwrap();
        assert_eq!(
            b_pkg.dependencies,
            vec!["pkg:npm/a@1.0.0?vcs_url=git%2Bhttps://github.com/o/a%40abc".to_owned()]
        );
    }

    #[test]
    fn warnings_make_a_source_partial_and_the_inventory_incomplete() {
        let mut b = InventoryBuilder::new();
        b.add_lockfile(
            "p",
            Lockfile {
                format: "f".into(),
                warnings: vec!["line 3: bad".into()],
                ..Lockfile::default()
            },
        );
        let inv = b.finish();
        assert_eq!(inv.sources[0].status, SourceStatus::Partial);
        assert!(inv.is_incomplete());
    }
}
