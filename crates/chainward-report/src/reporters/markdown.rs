use std::io::{self, Write};

use crate::reporters::table::remedy;
use crate::{Reporter, ScanReport};

/// GitHub-flavoured Markdown, for pull-request comments and job summaries.
#[derive(Debug, Clone, Copy, Default)]
pub struct Markdown;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

impl Reporter<ScanReport> for Markdown {
    fn render(&self, r: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "## chainward scan")?;
        writeln!(w)?;
        if r.findings.is_empty() {
            writeln!(
                w,
                "No known-bad packages among {} packages.",
                r.summary.packages
            )?;
        } else {
            let counts: Vec<String> = chainward_types::Severity::ALL_DESC
                .iter()
                .filter_map(|s| r.summary.findings.get(s).map(|n| format!("**{n}** {s}")))
                .collect();
            writeln!(w, "{} findings: {}.", r.findings.len(), counts.join(", "))?;
            writeln!(w)?;
            writeln!(
                w,
                "| Severity | Package | Advisory | Fixed in | Summary | Location |"
            )?;
            writeln!(w, "| --- | --- | --- | --- | --- | --- |")?;
            for f in &r.findings {
                let loc = f
                    .locations
                    .first()
                    .map_or_else(String::new, |l| format!("`{l}`"));
                let (id, fixed, summary) = match &f.advisory {
                    Some(a) => (
                        match &a.url {
                            Some(u) => format!("[{}]({u})", a.id),
                            None => a.id.clone(),
                        },
                        a.fixed.first().cloned().unwrap_or_else(|| "-".to_owned()),
                        a.summary.clone(),
                    ),
                    None => (
                        f.code.as_str().to_owned(),
                        "-".to_owned(),
                        f.message.clone(),
                    ),
                };
                writeln!(
                    w,
                    "| {} | `{}@{}` ({}) | {} | {} | {} | {} |",
                    f.severity,
                    f.package.name,
                    f.package.version,
                    f.package.ecosystem,
                    id,
                    cell(&fixed),
                    cell(&summary),
                    loc
                )?;
            }
            writeln!(w)?;
            writeln!(w, "### What to do")?;
            writeln!(w)?;
            for (pkg, group) in r.by_package() {
                writeln!(w, "- `{}@{}`: {}", pkg.name, pkg.version, remedy(r, &group))?;
            }
        }
        for s in r.sources.iter().filter(|s| s.status.is_incomplete()) {
            writeln!(w)?;
            writeln!(
                w,
                "> **Incomplete:** `{}` ({}): {}",
                s.path,
                s.status.as_str(),
                cell(&s.error.clone().unwrap_or_else(|| s.warnings.join("; ")))
            )?;
        }
        if r.summary.not_checked > 0 {
            writeln!(w)?;
            writeln!(
                w,
                "{} package(s) were not checked (git, URL or path origins, or no pinned version).",
                r.summary.not_checked
            )?;
        }
        Ok(())
    }
}
