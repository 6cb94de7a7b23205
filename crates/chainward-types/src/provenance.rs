//! Who built a package version: the identity a verified provenance attestation names.

use serde::{Deserialize, Serialize};

/// The build identity recorded from a verified provenance attestation (and the Fulcio
/// certificate that signed it). Every field is a claim that was covered by a verified
/// signature; fields the attestation does not state are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildIdentity {
    /// The OIDC issuer of the signing certificate (`https://token.actions.githubusercontent.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The certificate's subject alternative name: for GitHub Actions, the workflow URI with its ref.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub san: Option<String>,
    /// The SLSA builder id (`https://github.com/actions/runner/github-hosted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builder: Option<String>,
    /// The source repository URL (`https://github.com/sigstore/sigstore-js`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The source commit (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The workflow file path inside the repository (`.github/workflows/release.yml`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// The git ref that was built (`refs/tags/v2.3.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// The event that triggered the build (`push`, `release`, `workflow_dispatch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// Where the build ran (`github-hosted`, `self-hosted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
}

/// A part of a build identity that a pin compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityField {
    /// The source repository.
    Repository,
    /// The workflow file.
    Workflow,
    /// The kind of trigger.
    Trigger,
}

impl IdentityField {
    /// The field's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Repository => "repository",
            Self::Workflow => "workflow",
            Self::Trigger => "trigger",
        }
    }
}

impl BuildIdentity {
    /// The parts in which `self` differs from `pinned`: the repository (compared without case,
    /// a trailing `.git` or `/`), the workflow file and the kind of trigger. A part that either
    /// side does not state is not compared; the OIDC issuer is compared with the repository, since
    /// a build moving to another CI provider is a change of where the code was built.
    pub fn changes_from(&self, pinned: &Self) -> Vec<IdentityField> {
        let mut changed = Vec::new();
        let repo = |i: &Self| i.repository.as_deref().map(normalize_repository);
        if differ(repo(self).as_deref(), repo(pinned).as_deref())
            || differ(self.issuer.as_deref(), pinned.issuer.as_deref())
        {
            changed.push(IdentityField::Repository);
        }
        if differ(self.workflow.as_deref(), pinned.workflow.as_deref()) {
            changed.push(IdentityField::Workflow);
        }
        if differ(self.trigger.as_deref(), pinned.trigger.as_deref()) {
            changed.push(IdentityField::Trigger);
        }
        changed
    }

    /// A one-line summary: `repository / workflow @ ref (trigger)`.
    pub fn summary(&self) -> String {
        let mut out = self
            .repository
            .clone()
            .or_else(|| self.san.clone())
            .unwrap_or_else(|| "(unknown source)".to_owned());
        if let Some(workflow) = &self.workflow {
            out.push_str(" / ");
            out.push_str(workflow);
        }
        if let Some(git_ref) = &self.git_ref {
            out.push_str(" @ ");
            out.push_str(git_ref);
        }
        if let Some(trigger) = &self.trigger {
            out.push_str(" (");
            out.push_str(trigger);
            out.push(')');
        }
        out
    }
}

fn differ(a: Option<&str>, b: Option<&str>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a != b)
}

fn normalize_repository(repo: &str) -> String {
    let lower = repo.trim().to_ascii_lowercase();
    let trimmed = lower.trim_end_matches('/');
    trimmed.strip_suffix(".git").unwrap_or(trimmed).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(repo: &str, workflow: &str, trigger: &str) -> BuildIdentity {
        BuildIdentity {
            issuer: Some("https://token.actions.githubusercontent.com".into()),
            repository: Some(repo.into()),
            workflow: Some(workflow.into()),
            trigger: Some(trigger.into()),
            ..BuildIdentity::default()
        }
    }

    #[test]
    fn same_identity_up_to_case_and_git_suffix_has_no_changes() {
        let a = identity("https://github.com/a/b", ".github/workflows/r.yml", "push");
        let b = identity(
            "https://github.com/A/b.git/",
            ".github/workflows/r.yml",
            "push",
        );
        assert!(a.changes_from(&b).is_empty());
    }

    #[test]
    fn reports_each_changed_part() {
        let a = identity("https://github.com/a/b", ".github/workflows/r.yml", "push");
        let b = identity(
            "https://github.com/evil/b",
            ".github/workflows/x.yml",
            "workflow_dispatch",
        );
        assert_eq!(
            a.changes_from(&b),
            [
                IdentityField::Repository,
                IdentityField::Workflow,
                IdentityField::Trigger
            ]
        );
    }

    #[test]
    fn a_ref_change_alone_is_not_an_identity_change() {
        let mut a = identity("https://github.com/a/b", "w.yml", "push");
        let mut b = a.clone();
        a.git_ref = Some("refs/tags/v1".into());
        b.git_ref = Some("refs/tags/v2".into());
        assert!(a.changes_from(&b).is_empty());
    }

    #[test]
    fn another_issuer_counts_as_another_source() {
        let a = identity("https://github.com/a/b", "w.yml", "push");
        let mut b = a.clone();
        b.issuer = Some("https://gitlab.com".into());
        assert_eq!(a.changes_from(&b), [IdentityField::Repository]);
    }
}
