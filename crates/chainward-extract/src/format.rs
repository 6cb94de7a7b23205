use std::fmt;

/// A format chainward reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// `package-lock.json`.
    NpmPackageLock,
    /// `npm-shrinkwrap.json` (the same format, published with a package).
    NpmShrinkwrap,
    /// `yarn.lock`, classic v1 or berry.
    Yarn,
    /// `pnpm-lock.yaml`.
    Pnpm,
    /// `bun.lock` (text).
    Bun,
    /// `Cargo.lock`.
    Cargo,
    /// `requirements.txt`.
    Requirements,
    /// `poetry.lock`.
    Poetry,
    /// `uv.lock`.
    Uv,
    /// `Pipfile.lock`.
    Pipfile,
    /// An installed `node_modules` folder.
    NodeModules,
    /// An installed Python `site-packages` folder.
    SitePackages,
    /// A `cargo vendor` folder.
    CargoVendor,
    /// A CycloneDX or SPDX JSON document (`--sbom FILE`).
    Sbom,
}

impl Format {
    /// Every format that `--as` accepts, with its KIND name.
    pub const KINDS: [(&'static str, Self); 10] = [
        ("npm-package-lock", Self::NpmPackageLock),
        ("npm-shrinkwrap", Self::NpmShrinkwrap),
        ("yarn", Self::Yarn),
        ("pnpm", Self::Pnpm),
        ("bun", Self::Bun),
        ("cargo", Self::Cargo),
        ("requirements", Self::Requirements),
        ("poetry", Self::Poetry),
        ("uv", Self::Uv),
        ("pipfile", Self::Pipfile),
    ];

    /// The KIND name (`npm-package-lock`, ..., `node-modules`).
    pub fn kind(self) -> &'static str {
        match self {
            Self::NodeModules => "node-modules",
            Self::SitePackages => "site-packages",
            Self::CargoVendor => "cargo-vendor",
            Self::Sbom => "sbom",
            other => Self::KINDS
                .iter()
                .find(|(_, f)| *f == other)
                .map_or("unknown", |(k, _)| k),
        }
    }

    /// Parses a KIND name as given to `--as`.
    pub fn from_kind(kind: &str) -> Option<Self> {
        Self::KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, f)| *f)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

/// What a file name says about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detection {
    /// A lockfile chainward reads.
    Supported(Format),
    /// A lockfile of a kind chainward recognises but does not read; the text says what it is.
    Unsupported(&'static str),
    /// Not a lockfile.
    None,
}

/// Lockfiles that are recognised but not read: reporting them keeps the inventory honest.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "bun.lockb",
        "bun's binary lockfile (run `bun install --save-text-lockfile` to write bun.lock)",
    ),
    ("pdm.lock", "PDM lockfile"),
    ("pylock.toml", "PEP 751 Python lockfile"),
    ("pixi.lock", "pixi lockfile"),
    ("conda-lock.yml", "conda-lock lockfile"),
    ("Gemfile.lock", "RubyGems (Bundler) lockfile"),
    ("composer.lock", "PHP Composer lockfile"),
    ("go.sum", "Go module checksums"),
    ("packages.lock.json", "NuGet lockfile"),
    ("gradle.lockfile", "Gradle lockfile"),
    ("mix.lock", "Elixir Hex lockfile"),
    ("pubspec.lock", "Dart pub lockfile"),
    ("Podfile.lock", "CocoaPods lockfile"),
    ("Package.resolved", "Swift Package Manager lockfile"),
    ("conan.lock", "Conan lockfile"),
    ("deno.lock", "Deno lockfile"),
    ("renv.lock", "R renv lockfile"),
];

/// Detects a file's format from its name alone.
pub fn detect(file_name: &str) -> Detection {
    let supported = match file_name {
        "package-lock.json" => Some(Format::NpmPackageLock),
        "npm-shrinkwrap.json" => Some(Format::NpmShrinkwrap),
        "yarn.lock" => Some(Format::Yarn),
        "pnpm-lock.yaml" => Some(Format::Pnpm),
        "bun.lock" => Some(Format::Bun),
        "Cargo.lock" => Some(Format::Cargo),
        "poetry.lock" => Some(Format::Poetry),
        "uv.lock" => Some(Format::Uv),
        "Pipfile.lock" => Some(Format::Pipfile),
        name if is_requirements_name(name) => Some(Format::Requirements),
        _ => None,
    };
    if let Some(f) = supported {
        return Detection::Supported(f);
    }
    if let Some((_, what)) = UNSUPPORTED.iter().find(|(n, _)| *n == file_name) {
        return Detection::Unsupported(what);
    }
    if file_name.starts_with("pylock.") && file_name.ends_with(".toml") {
        return Detection::Unsupported("PEP 751 Python lockfile");
    }
    Detection::None
}

/// `requirements.txt`, `requirements-dev.txt`, `requirements_test.txt`, `dev-requirements.txt`.
fn is_requirements_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".txt") else {
        return false;
    };
    stem == "requirements"
        || stem.starts_with("requirements-")
        || stem.starts_with("requirements_")
        || stem.ends_with("-requirements")
        || stem.ends_with("_requirements")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_supported_unsupported_and_other_files() {
        assert_eq!(
            detect("package-lock.json"),
            Detection::Supported(Format::NpmPackageLock)
        );
        assert_eq!(
            detect("requirements-dev.txt"),
            Detection::Supported(Format::Requirements)
        );
        assert_eq!(
            detect("dev-requirements.txt"),
            Detection::Supported(Format::Requirements)
        );
        assert!(matches!(detect("bun.lockb"), Detection::Unsupported(_)));
        assert!(matches!(
            detect("pylock.dev.toml"),
            Detection::Unsupported(_)
        ));
        assert_eq!(detect("package.json"), Detection::None);
        assert_eq!(detect("notes.txt"), Detection::None);
    }

    #[test]
    fn kinds_round_trip() {
        for (k, f) in Format::KINDS {
            assert_eq!(Format::from_kind(k), Some(f));
            assert_eq!(f.kind(), k);
        }
        assert_eq!(Format::from_kind("gradle"), None);
    }
}
