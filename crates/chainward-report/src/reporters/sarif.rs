use std::collections::BTreeMap;
use std::io::{self, Write};

use chainward_types::{Finding, Location, Severity};
use serde_json::{Value, json};

use crate::{Reporter, ScanReport};

/// SARIF 2.1.0, for code scanning: one rule per advisory (or per finding code where there is
/// no advisory), one result per finding located at the lockfile line.
#[derive(Debug, Clone, Default)]
pub struct Sarif {
    /// chainward's version, recorded as the tool's.
    pub tool_version: String,
}

/// GitHub reads `security-severity` (a score string) to rank alerts.
fn security_severity(f: &Finding) -> String {
    let score = f
        .advisory
        .as_ref()
        .and_then(|a| a.score)
        .unwrap_or(match f.severity {
            Severity::Critical => 10.0,
            Severity::High => 8.0,
            Severity::Medium => 5.5,
            Severity::Low => 2.0,
            Severity::None => 0.0,
        });
    format!("{score:.1}")
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::None => "note",
    }
}

/// A relative path as a URI reference (RFC 3986), or a `file:` URI for an absolute path.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn physical(l: &Location) -> Value {
    let mut loc = json!({ "artifactLocation": { "uri": uri(&l.path) } });
    if let Some(line) = l.line.filter(|&n| n >= 1) {
        loc["region"] = json!({ "startLine": line });
    }
    json!({ "physicalLocation": loc })
}

fn rule_id(f: &Finding) -> String {
    f.advisory
        .as_ref()
        .map_or_else(|| f.code.as_str().to_owned(), |a| a.id.clone())
}

impl Reporter<ScanReport> for Sarif {
    fn render(&self, r: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
        let mut rules: BTreeMap<String, Value> = BTreeMap::new();
        for f in &r.findings {
            let id = rule_id(f);
            let entry = rules.entry(id.clone()).or_insert_with(|| {
                let (summary, help_uri, aliases) = match &f.advisory {
                    Some(a) => (a.summary.clone(), a.url.clone(), a.aliases.clone()),
                    None => (f.code.description().to_owned(), None, Vec::new()),
                };
                let summary = if summary.is_empty() {
                    id.clone()
                } else {
                    summary
                };
                let mut help = format!("{}\n\n{}", summary, f.code.description());
                if !aliases.is_empty() {
                    help.push_str(&format!("\n\nAliases: {}", aliases.join(", ")));
                }
                let mut rule = json!({
                    "id": id,
                    "name": f.code.as_str(),
                    "shortDescription": { "text": summary },
                    "fullDescription": { "text": f.code.description() },
                    "help": { "text": help, "markdown": help },
                    "defaultConfiguration": { "level": level(f.severity) },
                    "properties": {
                        "security-severity": security_severity(f),
                        "tags": ["security", "supply-chain", f.code.as_str()],
                    },
                });
                if let Some(u) = help_uri {
                    rule["helpUri"] = json!(u);
                }
                rule
            });
            // A rule's level is that of its most severe result.
            let current = entry["properties"]["security-severity"]
                .as_str()
                .and_then(|s| s.parse::<f64>().ok());
            let this: f64 = security_severity(f).parse().unwrap_or(0.0);
            if current.is_none_or(|c| this > c) {
                entry["properties"]["security-severity"] = json!(security_severity(f));
                entry["defaultConfiguration"]["level"] = json!(level(f.severity));
            }
        }
        let index: BTreeMap<&str, usize> = rules
            .keys()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let results: Vec<Value> = r
            .findings
            .iter()
            .map(|f| {
                let id = rule_id(f);
                let mut result = json!({
                    "ruleId": id,
                    "ruleIndex": index[id.as_str()],
                    "level": level(f.severity),
                    "message": { "text": f.message },
                    "partialFingerprints": { "chainward/v1": format!("{}|{}", f.package.purl, id) },
                    "properties": {
                        "code": f.code.as_str(),
                        "severity": f.severity.as_str(),
                        "purl": f.package.purl,
                    },
                });
                let mut locs = f.locations.iter().map(physical);
                if let Some(first) = locs.next() {
                    result["locations"] = json!([first]);
                    let related: Vec<Value> = locs
                        .enumerate()
                        .map(|(i, mut l)| {
                            l["id"] = json!(i + 1);
                            l
                        })
                        .collect();
                    if !related.is_empty() {
                        result["relatedLocations"] = json!(related);
                    }
                }
                result
            })
            .collect();
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "chainward",
                    "version": self.tool_version,
                    "semanticVersion": self.tool_version,
                    "rules": rules.into_values().collect::<Vec<_>>(),
                }},
                "results": results,
                "columnKind": "unicodeCodePoints",
            }],
        });
        serde_json::to_writer_pretty(&mut *w, &doc)?;
        w.write_all(b"\n")
    }
}
